import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { SimContext } from './context.js';
import { type ErrorDialect, ProviderError, type ProviderId } from './provider.js';

/**
 * Largest request body a provider route takes. Real providers take 20-25 MB of inline media;
 * base64 grows that by a third, and tests of the limits must reach the simulator's own handler.
 */
export const BODY_LIMIT_BYTES = 64 * 1024 * 1024;

export interface ProviderScopeOptions {
  provider: ProviderId;
  errors: ErrorDialect;
  /** Whether the request carries a key; like the real services' sandbox, any non-empty key passes. */
  hasKey(request: FastifyRequest): boolean;
  ctx: SimContext;
}

/**
 * Gives an encapsulated plugin the behaviour every provider shares: each request is logged on
 * arrival (refused ones too), refused without a key, and every error, including the framework's
 * own (bad JSON, body too large, unknown route), is answered in the provider's error shape.
 */
export function providerScope(app: FastifyInstance, { provider, errors, hasKey, ctx }: ProviderScopeOptions): void {
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?', 1)[0] ?? request.url;
    const record = ctx.requests.open({ method: request.method, path, provider, authPresent: hasKey(request) });
    ctx.attachRecord(request, record);
    if (!record.authPresent) throw errors.unauthenticated();
  });

  app.setErrorHandler((error: FastifyError | ProviderError, request, reply) => {
    let answer: ProviderError;
    if (error instanceof ProviderError) answer = error;
    else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      answer = errors.fromStatus(error.statusCode, error.message);
    } else {
      request.log.error({ err: error }, 'simulator handler failed');
      answer = errors.serverError();
    }
    return reply.code(answer.statusCode).headers(answer.headers).send(answer.body);
  });

  app.setNotFoundHandler((request) => {
    throw errors.notFound(request.method, request.url.split('?', 1)[0] ?? request.url);
  });
}

/** The key a request presented, however its provider takes one (Bearer, `x-goog-api-key`, `?key=`). */
export function presentedKey(request: FastifyRequest): string {
  const goog = request.headers['x-goog-api-key'];
  if (typeof goog === 'string' && goog.trim() !== '') return goog.trim();
  return bearerKey(request) ?? new URLSearchParams(request.url.split('?')[1] ?? '').get('key') ?? '';
}

/** The key from `Authorization: Bearer <key>`; undefined when absent or empty. */
export function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const key = header?.replace(/^Bearer\s+/i, '').trim();
  return key === undefined || key === '' ? undefined : key;
}
