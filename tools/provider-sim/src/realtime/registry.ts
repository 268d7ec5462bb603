import type { WebSocket } from 'ws';
import type { FaultKind } from '../faults.js';

export const REALTIME_PROVIDERS = ['openai', 'zhipu', 'gemini'] as const;
export type RealtimeProvider = (typeof REALTIME_PROVIDERS)[number];

/** session.update bodies kept per session, newest last; older ones are only counted. */
const MAX_SESSION_UPDATES = 20;
/** A session.update body bigger than this (instructions, tools) is kept as a stub. */
const MAX_SESSION_UPDATE_CHARS = 32 * 1024;
/** Closed sessions remembered after they ended, so tests can check what arrived. */
const MAX_CLOSED_SESSIONS = 100;

/** One realtime socket as `GET /_sim/realtime` shows it; never a key. */
export interface RealtimeSessionRecord {
  id: string;
  provider: RealtimeProvider;
  model?: string;
  openedAt: string;
  closedAt?: string;
  open: boolean;
  /** Decoded input audio bytes received (PCM or WAV payload, after base64). */
  audioBytesIn: number;
  /** Duration of that audio, by the session's input format. */
  audioMsIn: number;
  /** The input audio format the client last declared, where the protocol declares one per chunk (Gemini's MIME type). */
  inputAudioFormat?: string;
  clientEvents: number;
  /** Client frames refused with an error event. */
  clientErrors: number;
  /** The `session` objects of the session.update events received, as sent. */
  sessionUpdates: unknown[];
  sessionUpdatesOmitted: number;
  /** Fields of session.update the simulated provider ignores (GLM ignores what it does not know). */
  ignoredFields: string[];
  fault?: FaultKind;
  closeCode?: number;
}

export type NewSessionRecord = Omit<
  RealtimeSessionRecord,
  'openedAt' | 'open' | 'audioBytesIn' | 'audioMsIn' | 'clientEvents' | 'clientErrors' | 'sessionUpdates' | 'sessionUpdatesOmitted' | 'ignoredFields'
>;

/** A fresh, open session record with nothing counted yet (WebRTC calls keep theirs outside the socket registry). */
export function blankSessionRecord(record: NewSessionRecord): RealtimeSessionRecord {
  return {
    ...record,
    openedAt: new Date().toISOString(),
    open: true,
    audioBytesIn: 0,
    audioMsIn: 0,
    clientEvents: 0,
    clientErrors: 0,
    sessionUpdates: [],
    sessionUpdatesOmitted: 0,
    ignoredFields: [],
  };
}

/** Open realtime sockets and recently closed sessions of one simulator instance. */
export class RealtimeRegistry {
  readonly #open = new Map<RealtimeSessionRecord, WebSocket>();
  #closed: RealtimeSessionRecord[] = [];

  open(record: NewSessionRecord, socket: WebSocket): RealtimeSessionRecord {
    const full = blankSessionRecord(record);
    this.#open.set(full, socket);
    return full;
  }

  close(record: RealtimeSessionRecord, code: number): void {
    if (!this.#open.delete(record)) return;
    record.open = false;
    record.closedAt = new Date().toISOString();
    record.closeCode = code;
    this.#closed.push(record);
    if (this.#closed.length > MAX_CLOSED_SESSIONS) this.#closed.splice(0, this.#closed.length - MAX_CLOSED_SESSIONS);
  }

  noteSessionUpdate(record: RealtimeSessionRecord, session: unknown): void {
    const text = JSON.stringify(session) ?? 'null';
    record.sessionUpdates.push(text.length > MAX_SESSION_UPDATE_CHARS ? { omittedChars: text.length } : session);
    if (record.sessionUpdates.length > MAX_SESSION_UPDATES) {
      record.sessionUpdates.shift();
      record.sessionUpdatesOmitted += 1;
    }
  }

  noteIgnored(record: RealtimeSessionRecord, fields: readonly string[]): void {
    for (const field of fields) if (!record.ignoredFields.includes(field) && record.ignoredFields.length < 50) record.ignoredFields.push(field);
  }

  /** Open counts per provider and every session, open ones first, for the control API. */
  snapshot(provider?: RealtimeProvider) {
    const open = [...this.#open.keys()];
    const count = (p: RealtimeProvider) => open.filter((r) => r.provider === p).length;
    const sessions = [...open, ...this.#closed.toReversed()].filter((r) => provider === undefined || r.provider === provider);
    return { open: { openai: count('openai'), zhipu: count('zhipu'), gemini: count('gemini'), total: open.length }, sessions };
  }

  clearClosed(): number {
    const count = this.#closed.length;
    this.#closed = [];
    return count;
  }

  /** Cuts every open socket: the simulator is closing and must not wait for clients to leave. */
  terminateAll(): void {
    for (const socket of this.#open.values()) socket.terminate();
  }
}
