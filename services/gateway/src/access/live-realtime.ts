/** How often open realtime sessions are checked against what is left of today's minutes. */
const SWEEP_INTERVAL_MS = 5_000;

import type { RealtimeSpent } from './quotas.js';

interface LiveSession {
  client: string;
  startedAtMs: number;
  cut: (spent: RealtimeSpent) => void;
}

/**
 * The realtime sessions open through this replica, so one that runs past its client's or the
 * deployment's minutes for today is ended instead of running on: the minutes counters only grow
 * when a session closes, so the time of open ones is added here.
 */
export class LiveRealtime {
  readonly #sessions = new Set<LiveSession>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    left: (client: string, liveMs: { client: number; total: number }) => { leftMs: number; spent: RealtimeSpent },
    onCut: (client: string) => void,
  ) {
    this.#timer = setInterval(() => {
      const nowMs = Date.now();
      const perClient = new Map<string, number>();
      let total = 0;
      for (const s of this.#sessions) {
        const ms = nowMs - s.startedAtMs;
        perClient.set(s.client, (perClient.get(s.client) ?? 0) + ms);
        total += ms;
      }
      for (const s of this.#sessions) {
        const { leftMs, spent } = left(s.client, { client: perClient.get(s.client) ?? 0, total });
        if (leftMs > 0) continue;
        this.#sessions.delete(s);
        onCut(s.client);
        s.cut(spent);
      }
    }, SWEEP_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Tracks a session until the returned function is called; `cut` ends it when time runs out. */
  add(client: string, cut: (spent: RealtimeSpent) => void): { end: () => number } {
    const session: LiveSession = { client, startedAtMs: Date.now(), cut };
    this.#sessions.add(session);
    return {
      end: () => {
        this.#sessions.delete(session);
        return Date.now() - session.startedAtMs;
      },
    };
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
