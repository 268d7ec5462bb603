/**
 * Runs `tick` now and then every `intervalMs` after each run finishes (never overlapping, so a
 * slow gateway is not stacked with requests). A hidden tab skips ticks; it checks again the
 * moment it is shown.
 */
export function every(intervalMs: number, tick: () => Promise<void>): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let stopped = false;

  const run = async () => {
    if (stopped || running) return;
    clearTimeout(timer);
    running = true;
    try {
      if (document.visibilityState !== 'hidden') await tick();
    } finally {
      running = false;
      if (!stopped) timer = setTimeout(run, intervalMs);
    }
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible') void run();
  };
  document.addEventListener('visibilitychange', onVisible);
  void run();

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}
