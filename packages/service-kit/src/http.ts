import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerOptions } from 'node:http';
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

/** A request id we accept from a caller: short and plain, so it cannot inject into logs. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** The caller's `x-request-id` when it is short and plain, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Node's HTTP server limits every service shares (also given to the HTTPS server). */
export const HTTP_SERVER_LIMITS = {
  /** Request line and headers together; larger is refused with 431. Node's default, said out loud. */
  maxHeaderSize: 16 * 1024,
  /** Time to receive a request's headers once its first byte has come (a slowloris trickle). */
  headersTimeout: 15_000,
  /** How often Node checks the two timeouts above and `requestTimeout`. */
  connectionsCheckingInterval: 2_000,
} as const;

/** Headers read per request; Node drops the rest (its default is 2,000). */
export const MAX_HEADERS_COUNT = 100;

/**
 * Fastify options every service shares: the process logger, request ids taken from
 * `x-request-id` when a trusted hop set one, and bounded bodies and timeouts.
 */
export function fastifyOptions(
  log: FastifyBaseLogger,
  overrides: Partial<FastifyServerOptions> = {},
): FastifyServerOptions & { loggerInstance: FastifyBaseLogger; http: ServerOptions } {
  return {
    loggerInstance: log,
    requestIdHeader: false,
    genReqId: requestIdOf,
    bodyLimit: 1_048_576,
    http: { ...HTTP_SERVER_LIMITS },
    // The whole request (headers and body) must arrive within this; answers may take longer.
    requestTimeout: 120_000,
    // No socket idle timeout: it would cut an SSE answer waiting on a slow first token (Node
    // counts a quiet response as idle). Slow clients are bounded by the header and request
    // timeouts, connections that never send a request by the kit's silent-connection check.
    connectionTimeout: 0,
    return503OnClosing: true,
    // Idle keep-alive sockets would hold `close()` open until they time out.
    forceCloseConnections: 'idle',
    ...overrides,
  };
}
