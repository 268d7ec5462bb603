import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ErrorBody } from '@voxgate/protocol';

/** One entry of a service's error catalogue. */
export interface ErrorSpec {
  readonly statusCode: number;
  readonly message: string;
}

/**
 * An error a service means to show its client: a stable `code`, an HTTP status and a message
 * safe to send. `cause` is kept for the logs and never sent.
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Turns a catalogue `{ code: { statusCode, message } }` into factories, so each service lists its
 * codes in one file and raises them by name: `errors.unknown_model({ cause })`.
 */
export function defineErrors<C extends Record<string, ErrorSpec>>(catalogue: C) {
  const factories = {} as { [K in keyof C]: (options?: { message?: string; cause?: unknown }) => ServiceError };
  for (const [code, spec] of Object.entries(catalogue)) {
    factories[code as keyof C] = (options = {}) =>
      new ServiceError(code, spec.statusCode, options.message ?? spec.message, { cause: options.cause });
  }
  return factories;
}

/**
 * How a provider failed, in the codes that end a turn in llm-text and that the gateway passes on
 * unchanged: one definition for both catalogues.
 */
export const UPSTREAM_ERRORS = {
  upstream_rate_limited: { statusCode: 429, message: 'The provider is rate-limiting requests; try again shortly.' },
  upstream_unavailable: { statusCode: 502, message: 'The provider is unavailable.' },
  upstream_timeout: { statusCode: 504, message: 'The provider did not answer in time.' },
  // The provider found the request itself wrong (too long for the model, a bad option): the
  // caller's to change, so 400 (which OpenAI's SDKs do not retry), as OpenAI itself answers.
  upstream_rejected: { statusCode: 400, message: 'The provider refused the request.' },
  // The provider refused this server's key or account: the operator's to mend, not the caller's.
  upstream_unauthorized: { statusCode: 502, message: "The provider refused this server's credentials." },
  upstream_error: { statusCode: 502, message: 'The provider failed.' },
  transcription_failed: { statusCode: 502, message: 'The voice message could not be transcribed.' },
} as const satisfies Record<string, ErrorSpec>;

/**
 * How a turn ends when the system around the provider failed, in `error` chunks that llm-text
 * publishes and the gateway passes on unchanged (on `/v1` too): one definition for both catalogues.
 */
export const TURN_ERRORS = {
  turn_lost: { statusCode: 503, message: 'The llm-text instance answering this turn stopped before it ended; ask again.' },
  chunks_lost: {
    statusCode: 503,
    message: 'Part of the answer could not be delivered while NATS was unreachable; a conversation keeps the whole answer, or ask again.',
  },
} as const satisfies Record<string, ErrorSpec>;

/** Codes the kit itself answers with, for failures Fastify detects before a handler runs. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
};

export function errorBody(code: string, message: string, requestId: string): ErrorBody {
  return { error: { code, message, requestId } };
}

function toReply(error: FastifyError | ServiceError, request: FastifyRequest): { status: number; body: ErrorBody } {
  if (error instanceof ServiceError) {
    return { status: error.statusCode, body: errorBody(error.code, error.message, request.id) };
  }
  if ('validation' in error && error.validation) {
    return { status: 400, body: errorBody('invalid_request', error.message, request.id) };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = FASTIFY_CODES[error.code] ?? (error instanceof SyntaxError ? 'invalid_json' : 'invalid_request');
    return { status, body: errorBody(code, error.message, request.id) };
  }
  return { status: 500, body: errorBody('internal_error', 'Internal error; the request id names it in the logs.', request.id) };
}

/**
 * The one error handler of a service: known errors become `{ error: { code, message } }`,
 * anything else a generic 500 whose details stay in the log with its cause chain.
 */
export const errorHandling = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError | ServiceError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = toReply(error, request);
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: body.error.code, statusCode: status }, 'request refused');
      return reply.code(status).send(body);
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send(errorBody('not_found', `No route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`, request.id)),
    );
  },
  { name: 'voxgate-error-handling' },
);
