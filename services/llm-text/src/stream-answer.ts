import type { ChatProvider, ProviderRequest, StreamEvent } from './providers/types.js';
import { withRetries, type RetryContext } from './retries.js';
import { abortReason } from './turn-abort.js';
import { timeoutFailure, unexpectedFailure, UpstreamFailure } from './upstream-failure.js';

export interface StreamOptions extends RetryContext {
  /** Longest pause between two events once the answer has started. */
  idleTimeoutMs: number;
  onEvent(event: StreamEvent): void;
  /** Awaited between events when it returns a promise, so that a slow consumer slows the reading of the stream. */
  backpressure(): Promise<void> | undefined;
}

/**
 * Streams one answer: retried as a whole until its first event arrives (see `withRetries`), then
 * read to the end with a watchdog on the gap between events, which the SDKs' request timeouts do
 * not cover once the headers are in. A failure after the first event ends the answer as it stands.
 */
export async function streamAnswer(provider: ChatProvider, request: ProviderRequest, options: StreamOptions): Promise<void> {
  const { value, controller, release } = await withRetries(async (signal) => {
    const iterator = provider.stream(request, signal)[Symbol.asyncIterator]();
    const first = await iterator.next();
    // The openai SDK ends an aborted stream quietly instead of throwing.
    if (signal.aborted) throw new Error('attempt aborted');
    return { iterator, first };
  }, options);
  let idle = false;
  const watchdog = setTimeout(() => {
    idle = true;
    controller.abort();
  }, options.idleTimeoutMs);
  try {
    let next = value.first;
    while (next.done !== true) {
      options.onEvent(next.value);
      watchdog.refresh();
      const slowed = options.backpressure();
      if (slowed !== undefined) await slowed;
      next = await value.iterator.next();
    }
    if (controller.signal.aborted) throw new Error('stream aborted');
  } catch (error) {
    if (options.turnSignal.aborted) throw abortReason(options.turnSignal);
    if (idle) throw timeoutFailure(`The provider stopped sending for ${options.idleTimeoutMs} ms mid-answer.`);
    throw error instanceof UpstreamFailure ? error : unexpectedFailure(error);
  } finally {
    clearTimeout(watchdog);
    release();
  }
}
