import { errors } from '../errors.js';
import { secondsToNextUtcDay, utcDay } from './day.js';
import { LimitError } from './limit-error.js';
import type { SharedCounters } from './shared-counters.js';

/** The limits of `GatewayConfig`; 0 turns one off. */
export interface QuotaLimits {
  RATE_LIMIT_PER_MINUTE: number;
  MAX_REALTIME_SESSIONS_PER_CLIENT: number;
  CLIENT_DAILY_TOKENS: number;
  CLIENT_DAILY_REALTIME_MINUTES: number;
  DAILY_TOKEN_BUDGET: number;
  DAILY_REALTIME_MINUTES: number;
}

export type Measure = 'tokens' | 'realtime-ms';

/** The error a realtime session ends with when its day's minutes run out. */
export type RealtimeSpent = 'client_realtime_spent' | 'daily_realtime_budget_spent';

const MINUTE_MS = 60_000;
/** Clients remembered for the per-minute window; past this, the oldest windows are dropped first. */
const MAX_TRACKED_CLIENTS = 100_000;

/**
 * The client id of programs on the gateway's own machine (loopback, seen through any trusted
 * proxy): the operator's own tools, held to the deployment's budgets but not to per-client limits.
 */
export const LOCAL_CLIENT = 'local';

/** The JetStream KV bucket of the daily counters, shared by every gateway replica. */
export const USAGE_BUCKET = 'voxgate-usage';

/** KV keys: the deployment's day total, and one client's (by a hash, never its address or key). */
export const totalKey = (day: string, measure: Measure) => `${day}.total.${measure}`;
export const clientKey = (day: string, client: string, measure: Measure) => `${day}.client.${client}.${measure}`;

/**
 * Who may start what, now. Requests per minute and open realtime sessions are counted in this
 * replica's memory (they are about load on it); daily tokens and realtime minutes, per client and
 * for the deployment, come from the shared counters, which the usage events feed. This replica's
 * own usage counts at once; another replica's shows up within about `FLUSH_INTERVAL_MS` (see
 * shared-counters.ts), a lag the daily budgets accept.
 */
export class Quotas {
  readonly #windows = new Map<string, { startMs: number; count: number }>();
  readonly #open = new Map<string, number>();

  constructor(
    private readonly limits: QuotaLimits,
    private readonly counters: SharedCounters,
    private readonly now: () => number = Date.now,
  ) {}

  /** One request (HTTP or upgrade) against the client's per-minute allowance. */
  request(client: string): LimitError | undefined {
    const limit = this.limits.RATE_LIMIT_PER_MINUTE;
    if (limit === 0 || client === LOCAL_CLIENT) return undefined;
    const nowMs = this.now();
    let window = this.#windows.get(client);
    if (!window || nowMs - window.startMs >= MINUTE_MS) {
      if (!window && this.#windows.size >= MAX_TRACKED_CLIENTS) this.#sweep(nowMs);
      window = { startMs: nowMs, count: 0 };
      this.#windows.set(client, window);
    }
    window.count += 1;
    if (window.count <= limit) return undefined;
    const retryAfterS = Math.max(1, Math.ceil((window.startMs + MINUTE_MS - nowMs) / 1000));
    return new LimitError(errors.rate_limited({ message: `At most ${limit} requests a minute per client; try again in ${retryAfterS} s.` }), retryAfterS);
  }

  /** Whether a text turn may start: the client's and the deployment's tokens for today. */
  text(client: string): LimitError | undefined {
    return this.#daily(client, 'tokens');
  }

  /** Whether a realtime session may open: open sessions, then minutes and tokens for today. */
  realtime(client: string): LimitError | undefined {
    const max = this.limits.MAX_REALTIME_SESSIONS_PER_CLIENT;
    if (max > 0 && client !== LOCAL_CLIENT && (this.#open.get(client) ?? 0) >= max) {
      return new LimitError(errors.too_many_sessions({ message: `At most ${max} realtime sessions at once per client; close one first.` }), 10);
    }
    return this.#daily(client, 'realtime-ms') ?? this.#daily(client, 'tokens');
  }

  /** Counts an open realtime session against the client until the returned function is called. */
  opened(client: string): () => void {
    this.#open.set(client, (this.#open.get(client) ?? 0) + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const left = (this.#open.get(client) ?? 1) - 1;
      if (left <= 0) this.#open.delete(client);
      else this.#open.set(client, left);
    };
  }

  /**
   * What is left today (ms of realtime), the smaller of the client's and the deployment's (Infinity
   * when unlimited), and which of the two it is, to tell a session cut for it why.
   */
  realtimeLeftMs(client: string, liveMs: { client: number; total: number }): { leftMs: number; spent: RealtimeSpent } {
    const day = utcDay(this.now());
    const clientLimit = this.limits.CLIENT_DAILY_REALTIME_MINUTES * MINUTE_MS;
    const totalLimit = this.limits.DAILY_REALTIME_MINUTES * MINUTE_MS;
    const forClient = clientLimit === 0 || client === LOCAL_CLIENT ? Infinity : clientLimit - this.counters.get(clientKey(day, client, 'realtime-ms')) - liveMs.client;
    const forAll = totalLimit === 0 ? Infinity : totalLimit - this.counters.get(totalKey(day, 'realtime-ms')) - liveMs.total;
    return forClient <= forAll ? { leftMs: forClient, spent: 'client_realtime_spent' } : { leftMs: forAll, spent: 'daily_realtime_budget_spent' };
  }

  /** Records usage for today, for the client and the deployment (in the shared bucket at the counters' next flush). */
  use(client: string, measure: Measure, amount: number): void {
    const day = utcDay(this.now());
    this.counters.add(clientKey(day, client, measure), amount);
    this.counters.add(totalKey(day, measure), amount);
  }

  #daily(client: string, measure: Measure): LimitError | undefined {
    const nowMs = this.now();
    const day = utcDay(nowMs);
    const tokens = measure === 'tokens';
    const perClient = tokens ? this.limits.CLIENT_DAILY_TOKENS : this.limits.CLIENT_DAILY_REALTIME_MINUTES * MINUTE_MS;
    const total = tokens ? this.limits.DAILY_TOKEN_BUDGET : this.limits.DAILY_REALTIME_MINUTES * MINUTE_MS;
    const retryAfterS = secondsToNextUtcDay(nowMs);
    if (total > 0 && this.counters.get(totalKey(day, measure)) >= total) {
      return new LimitError(tokens ? errors.daily_token_budget_spent() : errors.daily_realtime_budget_spent(), retryAfterS);
    }
    if (perClient > 0 && client !== LOCAL_CLIENT && this.counters.get(clientKey(day, client, measure)) >= perClient) {
      return new LimitError(tokens ? errors.client_tokens_spent() : errors.client_realtime_spent(), retryAfterS);
    }
    return undefined;
  }

  #sweep(nowMs: number): void {
    for (const [client, window] of this.#windows) if (nowMs - window.startMs >= MINUTE_MS) this.#windows.delete(client);
  }
}
