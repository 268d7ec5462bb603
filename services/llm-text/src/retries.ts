import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { abortReason } from './turn-abort.js';
import { timeoutFailure, unexpectedFailure, UpstreamFailure } from './upstream-failure.js';

export interface RetryPolicy {
  /** Time one attempt gets to produce its result (for streams: the first token). */
  attemptTimeoutMs: number;
  maxRetries: number;
  /** First backoff, doubled per retry, with jitter. */
  retryBaseMs: number;
}

export interface RetryContext {
  policy: RetryPolicy;
  /** The turn's signal: stop or deadline end every attempt and every wait. */
  turnSignal: AbortSignal;
  /** Epoch ms after which no retry starts. */
  deadlineAt: number;
  log: FastifyBaseLogger;
  what: string;
}

/** An attempt's result, with the controller that can still abort what it started (a stream). */
export interface Attempted<T> {
  value: T;
  controller: AbortController;
  /** Stops forwarding the turn's abort to this attempt; call once its work is over. */
  release(): void;
}

function backoffMs(retry: number, baseMs: number): number {
  const ceiling = baseMs * 2 ** retry;
  // Half fixed, half random: spreads replicas out without ever retrying at once.
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Runs `attempt` until it succeeds, with bounded retries on failures marked retryable (429, 5xx,
 * connection errors, an attempt that produced nothing in time), waiting `Retry-After` when the
 * provider gave one, else an exponential backoff with jitter. Callers use it only for what comes
 * before the first token: once text is shown, a retry could repeat or contradict it.
 */
export async function withRetries<T>(attempt: (signal: AbortSignal) => Promise<T>, context: RetryContext): Promise<Attempted<T>> {
  const { policy, turnSignal, deadlineAt, log } = context;
  for (let retry = 0; ; retry++) {
    if (turnSignal.aborted) throw abortReason(turnSignal);
    const controller = new AbortController();
    const forward = () => controller.abort(turnSignal.reason);
    turnSignal.addEventListener('abort', forward, { once: true });
    const release = () => turnSignal.removeEventListener('abort', forward);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, Math.max(1, Math.min(policy.attemptTimeoutMs, deadlineAt - Date.now())));
    try {
      const value = await attempt(controller.signal);
      return { value, controller, release };
    } catch (error) {
      release();
      if (turnSignal.aborted) throw abortReason(turnSignal);
      const failure = timedOut
        ? timeoutFailure(`The provider sent nothing within ${policy.attemptTimeoutMs} ms.`)
        : error instanceof UpstreamFailure
          ? error
          : unexpectedFailure(error);
      const waitMs = failure.details.retryAfterMs ?? backoffMs(retry, policy.retryBaseMs);
      if (!failure.retryable || retry >= policy.maxRetries || Date.now() + waitMs >= deadlineAt) throw failure;
      log.warn({ what: context.what, code: failure.code, status: failure.details.status, retry: retry + 1, waitMs: Math.round(waitMs) }, 'upstream attempt failed; retrying');
      try {
        await sleep(waitMs, undefined, { signal: turnSignal });
      } catch {
        throw abortReason(turnSignal);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
