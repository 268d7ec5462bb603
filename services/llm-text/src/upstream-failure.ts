import type { ErrorCode } from './errors.js';

/** The codes a provider failure ends a turn with. */
export type UpstreamCode = Extract<
  ErrorCode,
  'upstream_rate_limited' | 'upstream_unavailable' | 'upstream_timeout' | 'upstream_rejected' | 'upstream_unauthorized' | 'upstream_error' | 'transcription_failed'
>;

const MESSAGES: Record<UpstreamCode, string> = {
  upstream_rate_limited: 'The provider is rate-limiting requests; try again shortly.',
  upstream_unavailable: 'The provider is unavailable.',
  upstream_timeout: 'The provider did not answer in time.',
  upstream_rejected: 'The provider refused the request.',
  upstream_unauthorized: "The provider refused this server's credentials; the operator must check the key.",
  upstream_error: 'The provider failed.',
  transcription_failed: 'The voice message could not be transcribed.',
};

/** The longest provider message passed on to a user; the rest stays in the logs. */
const MAX_PROVIDER_MESSAGE_CHARS = 300;

/**
 * A provider failure in the terms a turn ends with: a code, whether trying again may help, and how
 * long the provider asked us to wait. `message` is safe to show (keys are scrubbed by the caller
 * through `Secrets`); the SDK error stays as `cause` for the logs.
 */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  constructor(
    readonly code: UpstreamCode,
    readonly retryable: boolean,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Maps an HTTP status from a provider to a failure; 4xx other than 408/429 carry the provider's
 * words. 401 and 403 are about this server's key, every other 4xx about the request.
 */
export function failureFromStatus(status: number, providerMessage: string | undefined, retryAfterMs: number | undefined, cause: unknown): UpstreamFailure {
  const details = { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (status === 429) return new UpstreamFailure('upstream_rate_limited', true, MESSAGES.upstream_rate_limited, details, { cause });
  if (status === 408) return new UpstreamFailure('upstream_timeout', true, MESSAGES.upstream_timeout, details, { cause });
  if (status >= 500) return new UpstreamFailure('upstream_unavailable', true, `${MESSAGES.upstream_unavailable} (HTTP ${status})`, details, { cause });
  if (status >= 400) {
    const said = providerMessage?.trim() ? `: ${providerMessage.trim().slice(0, MAX_PROVIDER_MESSAGE_CHARS)}` : '';
    if (status === 401 || status === 403) {
      return new UpstreamFailure('upstream_unauthorized', false, `${MESSAGES.upstream_unauthorized} (HTTP ${status})${said}`, details, { cause });
    }
    return new UpstreamFailure('upstream_rejected', false, `The provider refused the request (HTTP ${status})${said}`, details, { cause });
  }
  return new UpstreamFailure('upstream_error', false, MESSAGES.upstream_error, details, { cause });
}

/** The connection could not be made or broke: worth another try before the first token. */
export function connectionFailure(cause: unknown): UpstreamFailure {
  return new UpstreamFailure('upstream_unavailable', true, 'The provider could not be reached.', {}, { cause });
}

export function timeoutFailure(message: string): UpstreamFailure {
  return new UpstreamFailure('upstream_timeout', true, message);
}

export function unexpectedFailure(cause: unknown): UpstreamFailure {
  return new UpstreamFailure('upstream_error', false, MESSAGES.upstream_error, {}, { cause });
}

/** `Retry-After` in seconds or as an HTTP date, or OpenAI's `retry-after-ms`; undefined when absent or unreadable. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
