import type { FastifyBaseLogger } from 'fastify';
import type { NatsConnection } from 'nats';
import { KvMirror } from './kv-mirror.js';

/**
 * How often this replica's increments are written to the bucket. Adding every usage as it came
 * (a read and a compare-and-set per key per turn, with a hundred turns racing on the same total)
 * cost the gateway more CPU than the chat route itself; one write per key per interval costs
 * next to nothing. The price is lag: another replica sees this one's usage up to about this much
 * (plus the watch's delivery) later, so a spent budget can be overrun by what the other replicas
 * start in that moment. This replica itself counts its increments at once. A replica that
 * crashes (no shutdown, so no last flush) loses at most this much of its usage.
 */
export const FLUSH_INTERVAL_MS = 500;
/** Compare-and-set attempts of one key in one flush when other replicas keep writing first; what is not written stays for the next flush. */
const MAX_CAS_ATTEMPTS = 5;
/** Added to the pause before each retry within a flush. */
const CAS_BACKOFF_MS = 20;
/** A shutdown waits this long at most for the last flush. */
const FINAL_FLUSH_MAX_MS = 3_000;

/**
 * Counters every gateway replica shares, in a JetStream KV bucket, so they survive a gateway or
 * NATS restart. Admission reads the local mirror (plus this replica's increments not yet written)
 * and never waits on NATS. Increments gather in memory and are added to the bucket every
 * `FLUSH_INTERVAL_MS` by compare-and-set, so two replicas adding at once both count; while NATS is
 * away they keep gathering and are written when it is back.
 */
export class SharedCounters {
  readonly #pending = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> | undefined;
  #failing = false;
  #connected = true;
  #closed = false;

  private constructor(
    nc: NatsConnection,
    private readonly mirror: KvMirror,
    private readonly log: FastifyBaseLogger,
  ) {
    this.#timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.#timer.unref();
    // No writes while NATS is away: nats.js would hold them and send them on reconnect, after
    // they had timed out here, and the increment would then be written twice.
    void (async () => {
      for await (const status of nc.status()) {
        if (this.#closed) break;
        if (status.type === 'disconnect') this.#connected = false;
        else if (status.type === 'reconnect') this.#connected = true;
      }
    })();
  }

  static async open(nc: NatsConnection, options: { bucket: string; maxAgeMs: number; log: FastifyBaseLogger }): Promise<SharedCounters> {
    return new SharedCounters(nc, await KvMirror.open(nc, options), options.log);
  }

  /** The value as this replica knows it: the bucket's last seen value and its own increments not yet written. */
  get(key: string): number {
    return (Number(this.mirror.get(key) ?? 0) || 0) + (this.#pending.get(key) ?? 0);
  }

  /** Adds `amount` to `key`: counted here at once, in the bucket at the next flush. */
  add(key: string, amount: number): void {
    if (!(amount > 0)) return;
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + amount);
  }

  /** Writes the increments gathered so far; one flush at a time (a call during one waits for it). */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#pending.size === 0 || !this.#connected) return Promise.resolve();
    const batch = [...this.#pending];
    this.#flushing = Promise.all(batch.map(([key, amount]) => this.#write(key, amount)))
      .then((written) => {
        const failed = written.filter((ok) => !ok).length;
        // One line when writing starts failing and one when it recovers, not one per flush.
        if (failed > 0 && !this.#failing) this.log.warn({ keys: failed }, 'usage counters not written yet; kept for the next flush');
        if (failed === 0 && this.#failing) this.log.info('usage counters written again');
        this.#failing = failed > 0;
      })
      .finally(() => {
        this.#flushing = undefined;
      });
    return this.#flushing;
  }

  /**
   * Adds one key's gathered `amount` to the bucket. It stays counted in `#pending` while being
   * written (so `get` does not dip), and leaves it only with the write that carried it.
   */
  async #write(key: string, amount: number): Promise<boolean> {
    const { kv } = this.mirror;
    let revision = this.mirror.revision(key);
    let base = revision === 0 ? undefined : Number(this.mirror.get(key)) || 0;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      try {
        if (base === undefined) {
          const entry = await kv.get(key);
          revision = entry?.operation === 'PUT' ? entry.revision : 0;
          base = revision === 0 ? 0 : Number(entry?.string()) || 0;
        }
        const next = String(base + amount);
        const written = revision === 0 ? await kv.create(key, next) : await kv.update(key, next, revision);
        const left = (this.#pending.get(key) ?? 0) - amount;
        if (left > 0) this.#pending.set(key, left);
        else this.#pending.delete(key);
        this.mirror.remember(key, next, written);
        return true;
      } catch (error) {
        // NATS away or slow: the next flush tries again (a retry here would only wait out another timeout).
        if (!wroteFirst(error)) return false;
        // Another replica wrote first: read the key again and retry a little later.
        base = undefined;
        await new Promise((resolve) => setTimeout(resolve, (attempt + 1) * CAS_BACKOFF_MS));
      }
    }
    return false;
  }

  /** Stops flushing after one last write of what is gathered (bounded, so a shutdown is not held up by NATS). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#closed = true;
    await Promise.race([this.flush().then(() => this.flush()), new Promise((resolve) => setTimeout(resolve, FINAL_FLUSH_MAX_MS).unref())]);
    this.mirror.close();
  }
}

/** JetStream's "wrong last sequence": the key changed since the revision the write expected. */
const WRONG_LAST_SEQUENCE = 10071;
const wroteFirst = (error: unknown): boolean => (error as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code === WRONG_LAST_SEQUENCE;
