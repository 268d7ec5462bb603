import { type ErrorDialect, ProviderError } from '../provider.js';

/** google.rpc status names for the HTTP codes the simulator answers with. */
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** Google's error body: `{ error: { code, message, status, details? } }`. */
export function geminiError(code: number, message: string, extra: { details?: unknown[]; headers?: Record<string, string> } = {}): ProviderError {
  const error = { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN', ...(extra.details ? { details: extra.details } : {}) };
  return new ProviderError(code, { error }, extra.headers);
}

export const geminiErrors: ErrorDialect = {
  // The real API answers a missing key with 403, not 401.
  unauthenticated: () =>
    geminiError(
      403,
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    ),
  invalidRequest: (message, param) => geminiError(400, param === undefined ? message : `Invalid value at '${param}': ${message}`),
  invalidKey: (key) => geminiError(400, `API key not valid. Please pass a valid API key. (simulated: ${key})`),
  rateLimited: (retryAfterSeconds) =>
    geminiError(429, 'Resource has been exhausted (e.g. check quota). (simulated)', {
      // Google states the wait in RetryInfo; the header is there for clients that only read headers.
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` }],
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  serverError: () =>
    geminiError(500, 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting (simulated)'),
  notFound: (method, path) => geminiError(404, `The requested URL ${path} was not found on this server (${method}).`),
  fromStatus: (statusCode, message) => geminiError(statusCode, message),
};

/** Gemini's answer to inline image bytes it cannot decode. */
export function unprocessableImage(param: string): ProviderError {
  return geminiError(400, `Unable to process input image at '${param}'. Please retry or report in https://developers.generativeai.google/guide/troubleshooting`);
}
