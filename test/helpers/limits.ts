/**
 * The gateway's per-client limits switched off (0 = no limit), for tests and benchmarks that are
 * one client making the traffic of many: a 429 would hide what they measure.
 */
export const CLIENT_LIMITS_OFF: Record<string, string> = {
  RATE_LIMIT_PER_MINUTE: '0',
  MAX_REALTIME_SESSIONS_PER_CLIENT: '0',
  CLIENT_DAILY_TOKENS: '0',
  CLIENT_DAILY_REALTIME_MINUTES: '0',
};
