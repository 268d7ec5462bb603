import { scrubKeys, type ServiceError } from '@voxgate/service-kit';
import { errors, upstreamUnreachable } from './errors.js';

/** Characters of OpenAI's error message passed on; its messages are a sentence or two. */
const MAX_MESSAGE_CHARS = 500;

/**
 * Removes anything that looks like a key from a provider's message before it leaves this service:
 * OpenAI quotes part of a wrong key back ("Incorrect API key provided: sk-ab***yz"), and the
 * configured key itself must never appear whatever the message says.
 */
export function scrubSecrets(message: string, apiKey: string): string {
  return scrubKeys(message, [apiKey]);
}

/** OpenAI's `{ error: { message, code } }`, read without trusting its shape. */
function providerMessage(body: string): { message: string | undefined; code: string | undefined } {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; code?: unknown } };
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
    return { message, code };
  } catch {
    return { message: undefined, code: undefined };
  }
}

/**
 * A non-2xx answer from OpenAI as the error this service answers with, with OpenAI's own message
 * (it names the real cause: quota, bad offer, unknown model): 429 → `upstream_rate_limited`, 401
 * and 403 → `upstream_unauthorized` (this server's key), other 4xx → `upstream_rejected`, 5xx →
 * `upstream_unavailable`, as llm-text maps a provider's answers. The body is read here so that it
 * is never mistaken for an SDP answer.
 */
export async function upstreamFailure(response: Response, what: string, apiKey: string): Promise<ServiceError> {
  const body = await response.text().catch(() => '');
  const { message, code } = providerMessage(body);
  const detail = message === undefined ? '' : `: ${scrubSecrets(message, apiKey).slice(0, MAX_MESSAGE_CHARS)}`;
  const codePart = code === undefined ? '' : ` (${scrubSecrets(code, apiKey).slice(0, 100)})`;
  const cause = new Error(`OpenAI answered ${response.status} to ${what}`);
  const refused = { message: `OpenAI refused ${what} with ${response.status}${codePart}${detail}`, cause };
  if (response.status === 429) return errors.upstream_rate_limited(refused);
  if (response.status === 401 || response.status === 403) return errors.upstream_unauthorized(refused);
  if (response.status >= 400 && response.status < 500) return errors.upstream_rejected(refused);
  return errors.upstream_unavailable({ message: `OpenAI failed ${what} with ${response.status}${codePart}${detail}`, cause });
}

/** A request that got no answer at all: refused connection, proxy down, or our own timeout. */
export function unreachable(error: unknown, what: string): ServiceError {
  const timedOut = (error as { name?: string }).name === 'TimeoutError';
  return upstreamUnreachable(error, timedOut ? `OpenAI did not answer ${what} in time.` : `OpenAI could not be reached for ${what}.`);
}
