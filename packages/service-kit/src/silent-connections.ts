import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How long a new connection may stay without sending a byte: the header timeout's length, since
 * a connection that sends nothing is a request whose head never comes.
 */
export const SILENT_CONNECTION_TIMEOUT_MS = 15_000;

/**
 * Node's header and request timeouts start with a request's first byte, so a connection that
 * connects and never sends one is held open forever (a slowloris that does not even trickle).
 * This closes a connection that has sent nothing `timeoutMs` after connecting; one that has sent
 * anything is left to the HTTP server's own timeouts. `bytesRead` is read rather than `data`
 * events, which the HTTP server consumes natively without emitting them.
 */
export function closeSilentConnections(server: Server, timeoutMs = SILENT_CONNECTION_TIMEOUT_MS): void {
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, timeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
