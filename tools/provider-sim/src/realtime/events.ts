import type { WebSocket } from 'ws';
import type { RealtimeSessionRecord } from './registry.js';

/** A client frame: a parsed JSON object with a string `type`, or why it is not one. */
export type ClientFrame = { ok: true; event: Record<string, unknown> & { type: string } } | { ok: false; reason: 'binary' | 'json' | 'type'; eventId?: string };

/** Parses one WebSocket message the way both providers read them: JSON text with a `type`. */
export function parseFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): ClientFrame {
  if (isBinary) return { ok: false, reason: 'binary' };
  const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'json' };
  const event = value as Record<string, unknown>;
  const eventId = typeof event.event_id === 'string' ? event.event_id : undefined;
  if (typeof event.type !== 'string') return { ok: false, reason: 'type', ...(eventId === undefined ? {} : { eventId }) };
  return { ok: true, event: event as Record<string, unknown> & { type: string } };
}

/** Sends one server event if the socket is still open; events to a closed socket are dropped, as on a real network. */
export function sendEvent(socket: WebSocket, event: object): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(event));
}

/** Counts a client event on the session record. */
export function countClientEvent(record: RealtimeSessionRecord, refused: boolean): void {
  record.clientEvents += 1;
  if (refused) record.clientErrors += 1;
}
