/**
 * How response audio is paced: `realtime` sends each chunk when a listener would reach it (like
 * the providers, which generate about as fast as they speak); `fast` sends as fast as the socket
 * takes it, for tests that want whole answers quickly.
 */
export const REALTIME_PACES = ['realtime', 'fast'] as const;
export type RealtimePace = (typeof REALTIME_PACES)[number];

/** Waits until `atMs` on the `performance.now()` clock, or just yields in fast mode; false once aborted. */
export function waitUntil(atMs: number, pace: RealtimePace, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  const delayMs = pace === 'fast' ? 0 : atMs - performance.now();
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    // Even in fast mode each chunk waits one macrotask, so cancels and other clients get a turn.
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(!signal.aborted);
      },
      Math.max(0, delayMs),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
