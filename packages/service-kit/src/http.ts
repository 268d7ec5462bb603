import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

/** A request id we accept from a caller: short and plain, so it cannot inject into logs. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Fastify options every service shares: the process logger, request ids taken from
 * `x-request-id` when a trusted hop set one, and bounded bodies and timeouts.
 */
export function fastifyOptions(
  log: FastifyBaseLogger,
  overrides: Partial<FastifyServerOptions> = {},
): FastifyServerOptions & { loggerInstance: FastifyBaseLogger } {
  return {
    loggerInstance: log,
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1_048_576,
    requestTimeout: 120_000,
    connectionTimeout: 10_000,
    return503OnClosing: true,
    // Idle keep-alive sockets would hold `close()` open until they time out.
    forceCloseConnections: 'idle',
    ...overrides,
  };
}
