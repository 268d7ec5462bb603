import { type ErrorDialect, ProviderError } from '../provider.js';

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export function openaiError(
  statusCode: number,
  message: string,
  type: string,
  { param = null, code = null, headers = {} }: { param?: string | null; code?: string | null; headers?: Record<string, string> } = {},
): ProviderError {
  return new ProviderError(statusCode, { error: { message, type, param, code } }, headers);
}

export const openaiErrors: ErrorDialect = {
  unauthenticated: () =>
    openaiError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      'invalid_request_error',
    ),
  invalidRequest: (message, param) => openaiError(400, message, 'invalid_request_error', { param: param ?? null }),
  rateLimited: (retryAfterSeconds) =>
    openaiError(
      429,
      `Rate limit reached for requests (simulated). Please try again in ${retryAfterSeconds}s.`,
      'requests',
      {
        code: 'rate_limit_exceeded',
        headers: {
          'retry-after': String(retryAfterSeconds),
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': `${retryAfterSeconds}s`,
        },
      },
    ),
  invalidKey: (key) =>
    openaiError(401, `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys. (simulated)`, 'invalid_request_error', {
      code: 'invalid_api_key',
    }),
  serverError: () => openaiError(500, 'The server had an error while processing your request. Sorry about that! (simulated)', 'server_error'),
  notFound: (method, path) => openaiError(404, `Invalid URL (${method} ${path})`, 'invalid_request_error'),
  fromStatus: (statusCode, message) => openaiError(statusCode, message, 'invalid_request_error'),
};

/** OpenAI's answer to an image it cannot decode. */
export function unsupportedImage(param: string): ProviderError {
  return openaiError(
    400,
    "You uploaded an unsupported image. Please make sure your image has of one the following formats: ['png', 'jpeg', 'gif', 'webp'].",
    'invalid_request_error',
    { param, code: 'invalid_image_format' },
  );
}
