import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** When one side has closed, how long the other gets to flush before it is cut. */
const CLOSE_WAIT_MS = 1_000;
/** TCP keep-alive on both sides, so a peer that vanished without a FIN is noticed eventually. */
const KEEP_ALIVE_DELAY_MS = 30_000;

export interface PipeHandle {
  /** Cuts both sockets now (gateway shutdown after the grace period). */
  destroy(): void;
}

/**
 * Joins the client's upgraded socket and the relay's socket after the relay's 101: the relay's
 * answer (`received`: its head and any frames already read) goes to the client first, then bytes
 * flow both ways untouched, with TCP backpressure end to end. When either side ends or fails, the
 * other is ended too and both are destroyed within `CLOSE_WAIT_MS`; `onEnd` is called once.
 */
export function pipeSockets(client: Duplex, relay: Socket, received: Buffer, onEnd: (why: string) => void): PipeHandle {
  let ended = false;
  const finish = (why: string, abrupt: boolean) => {
    if (ended) return;
    ended = true;
    if (abrupt) {
      client.destroy();
      relay.destroy();
    } else {
      // A graceful end flushes what is queued (a close frame, the last audio) before the FIN.
      client.end();
      relay.end();
      setTimeout(() => {
        client.destroy();
        relay.destroy();
      }, CLOSE_WAIT_MS).unref();
    }
    onEnd(why);
  };

  for (const socket of [client, relay]) {
    // The HTTP server stops watching an upgraded socket; its idle timeout must not cut a quiet session.
    (socket as Socket).setTimeout?.(0);
    (socket as Socket).setNoDelay?.(true);
    (socket as Socket).setKeepAlive?.(true, KEEP_ALIVE_DELAY_MS);
  }
  client.on('error', () => finish('client error', true));
  relay.on('error', () => finish('relay error', true));
  client.on('close', () => finish('client closed', false));
  relay.on('close', () => finish('relay closed', false));
  // The gateway's server allows half-open sockets; a client's FIN ends the session like a close.
  client.on('end', () => finish('client ended', false));
  relay.on('end', () => finish('relay ended', false));

  client.write(received);
  client.pipe(relay, { end: false });
  relay.pipe(client, { end: false });
  return { destroy: () => finish('gateway shutting down', true) };
}
