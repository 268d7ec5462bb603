import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { NatsHandle } from './nats.js';

export interface ShutdownOptions {
  app: FastifyInstance;
  nats: NatsHandle;
  log: Logger;
  /** Upper bound for the whole sequence; past it the process exits anyway. */
  deadlineMs: number;
}

/**
 * The one shutdown sequence, in a fixed order:
 * 1. `app.close()`: new requests get 503 and the listener stops accepting; `preClose` hooks
 *    close long-lived connections (WebSockets with 1001 after the grace period);
 * 2. NATS is drained last, so answers still in flight to the services behind us get out.
 */
export async function shutdown({ app, nats, log }: Omit<ShutdownOptions, 'deadlineMs'>): Promise<void> {
  log.info('shutdown: stop accepting');
  await app.close();
  log.info('shutdown: HTTP closed, draining NATS');
  await nats.drain();
  log.info('shutdown: done');
}

/** Runs `shutdown` once on SIGINT/SIGTERM or an uncaught error; a second signal exits at once. */
export function shutdownOnSignals(options: ShutdownOptions): void {
  closeWithGrace({ delay: options.deadlineMs }, async ({ signal, err }) => {
    if (err) options.log.error({ err }, 'shutting down after an uncaught error');
    else options.log.info({ signal }, 'shutting down');
    await shutdown(options);
  });
}
