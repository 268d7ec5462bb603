import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ServiceError } from '@voxgate/service-kit';

/**
 * A GA `error` event from the gateway, the shape the relay sends when it ends a session itself,
 * so that the page and programs handle the gateway's reasons and the relay's alike.
 */
export function errorNotice(error: Pick<ServiceError, 'code' | 'message'>): string {
  return JSON.stringify({
    type: 'error',
    event_id: `event_gw_${randomUUID()}`,
    error: { type: 'server_error', code: error.code, message: error.message, param: null, event_id: null },
  });
}

type Ender = (error: ServiceError) => void;
const enders = new WeakMap<Duplex, Ender>();

/** Registers how to end a piped realtime socket properly (an error event, then a close frame). */
export function setEnder(socket: Duplex, end: Ender): void {
  enders.set(socket, end);
}

/**
 * Ends a realtime client socket telling it why: through its pipe when it is piped, else (still
 * being dialled to a relay) by destroying it, since no WebSocket has been opened on it yet.
 */
export function endWithNotice(socket: Duplex, error: ServiceError): void {
  const end = enders.get(socket);
  if (end) end(error);
  else socket.destroy();
}
