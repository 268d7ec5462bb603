import type { ErrorDialect } from './provider.js';
import type { Fault } from './faults.js';

/** How an answer reaches the client: its pace and whether it is cut short. */
export interface Delivery {
  /** Silence before the first token; `Infinity` stalls until the client or the simulator gives up. */
  stallMs: number;
  tokenDelayMs: number;
  /** Cut the connection after this many tokens; undefined delivers the whole answer. */
  disconnectAfterTokens: number | undefined;
}

/**
 * Turns the fault taken for a request into its delivery; faults that replace the answer with an
 * error are thrown as that provider's error. `key` is the one the request presented.
 */
export function deliveryFor(fault: Fault | undefined, defaultTokenDelayMs: number, errors: ErrorDialect, key = ''): Delivery {
  const delivery: Delivery = { stallMs: 0, tokenDelayMs: defaultTokenDelayMs, disconnectAfterTokens: undefined };
  switch (fault?.kind) {
    case undefined:
      return delivery;
    case 'rate_limit':
      throw errors.rateLimited(fault.retryAfterSeconds ?? 0);
    case 'server_error':
      throw errors.serverError();
    case 'invalid_key':
      throw errors.invalidKey(key);
    case 'stall_before_first_token':
      return { ...delivery, stallMs: fault.delayMs ?? Number.POSITIVE_INFINITY };
    case 'slow_tokens':
      return { ...delivery, tokenDelayMs: fault.delayMs ?? defaultTokenDelayMs };
    case 'disconnect_mid_stream':
      return { ...delivery, disconnectAfterTokens: fault.afterTokens ?? 0 };
    // HTTP requests never take realtime or WebRTC faults (see FaultQueue.take); nothing to deliver differently.
    case 'realtime_drop_after_ms':
    case 'realtime_refuse':
    case 'realtime_invalid_key':
    case 'realtime_go_away':
    case 'webrtc_ice_blackhole':
      return delivery;
  }
}

/** Waits `ms` (Infinity: forever); resolves false instead if `signal` aborts first. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    // setTimeout cannot wait longer than ~24.8 days and treats Infinity as 1 ms; stall without a timer.
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        }, ms)
      : undefined;
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
