const DAY_MS = 86_400_000;

/** The UTC day a usage counts toward, as `2026-01-31` (budgets reset at UTC midnight). */
export const utcDay = (nowMs: number): string => new Date(nowMs).toISOString().slice(0, 10);

/** Seconds until the next UTC midnight, for `Retry-After` on a spent daily allowance. */
export const secondsToNextUtcDay = (nowMs: number): number => Math.max(1, Math.ceil((DAY_MS - (nowMs % DAY_MS)) / 1000));
