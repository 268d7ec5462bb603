const DAY_MS = 86_400_000;

/** The last day `utcDay` formatted, with its bounds: a turn's admission and usage ask for it several times. */
let known = { startMs: 0, endMs: 0, day: '' };

/** The UTC day a usage counts toward, as `2026-01-31` (budgets reset at UTC midnight). */
export function utcDay(nowMs: number): string {
  if (nowMs < known.startMs || nowMs >= known.endMs) {
    const startMs = nowMs - (((nowMs % DAY_MS) + DAY_MS) % DAY_MS);
    known = { startMs, endMs: startMs + DAY_MS, day: new Date(startMs).toISOString().slice(0, 10) };
  }
  return known.day;
}

/** Seconds until the next UTC midnight, for `Retry-After` on a spent daily allowance. */
export const secondsToNextUtcDay = (nowMs: number): number => Math.max(1, Math.ceil((DAY_MS - (nowMs % DAY_MS)) / 1000));
