import { APIConnectionError, APIError } from 'openai';
import { connectionFailure, failureFromStatus, unexpectedFailure, retryAfterMs, type UpstreamFailure } from '../upstream-failure.js';

/** The message the provider put in its error body (OpenAI and Zhipu shapes), if any. */
function providerMessage(error: APIError): string | undefined {
  const body = error.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const message = body?.message ?? body?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

/** Maps what the `openai` SDK throws (for OpenAI, Zhipu and compatible servers alike) to a failure. */
export function fromOpenAiError(error: unknown): UpstreamFailure {
  if (error instanceof APIConnectionError) return connectionFailure(error);
  if (error instanceof APIError && error.status !== undefined) {
    return failureFromStatus(error.status, providerMessage(error), retryAfterMs(error.headers), error);
  }
  // A body cut mid-stream surfaces from fetch as a TypeError ("terminated"), from `leanFetch`'s
  // undici body as a SocketError ("other side closed"), or as a bare socket error.
  const code = (error as { code?: unknown })?.code;
  if (error instanceof TypeError || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return connectionFailure(error);
  return unexpectedFailure(error);
}
