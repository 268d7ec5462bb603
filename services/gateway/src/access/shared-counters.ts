import type { FastifyBaseLogger } from 'fastify';
import type { NatsConnection } from 'nats';
import { KvMirror } from './kv-mirror.js';

/** Attempts of one compare-and-set before an increment is given up (and logged). */
const MAX_CAS_ATTEMPTS = 20;
/** Added to the pause before each retry: about 20 s in all, enough to ride out a NATS restart. */
const CAS_BACKOFF_MS = 100;

/**
 * Counters every gateway replica shares, in a JetStream KV bucket, so they survive a gateway or
 * NATS restart. Admission reads the local mirror and never waits on NATS; increments are
 * compare-and-set, so two replicas adding at once both count.
 */
export class SharedCounters {
  private constructor(
    private readonly mirror: KvMirror,
    private readonly log: FastifyBaseLogger,
  ) {}

  static async open(nc: NatsConnection, options: { bucket: string; maxAgeMs: number; log: FastifyBaseLogger }): Promise<SharedCounters> {
    return new SharedCounters(await KvMirror.open(nc, options), options.log);
  }

  /** The last value this replica has seen (0 for a key never written). */
  get(key: string): number {
    return Number(this.mirror.get(key) ?? 0) || 0;
  }

  /** Adds `amount` to `key` in the bucket; the mirror follows at once and through the watch. */
  async add(key: string, amount: number): Promise<void> {
    if (amount <= 0) return;
    const { kv } = this.mirror;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      try {
        const entry = await kv.get(key);
        let next = amount;
        if (entry?.operation !== 'PUT') await kv.create(key, String(next));
        else {
          next += Number(entry.string()) || 0;
          await kv.update(key, String(next), entry.revision);
        }
        if (next > this.get(key)) this.mirror.remember(key, String(next));
        return;
      } catch (error) {
        // Another replica wrote first (wrong last sequence), or NATS is away for a moment: read
        // again and retry, more slowly each time.
        if (attempt === MAX_CAS_ATTEMPTS - 1) this.log.error({ err: error, key, amount }, 'shared counter not updated');
        else await new Promise((resolve) => setTimeout(resolve, attempt * CAS_BACKOFF_MS));
      }
    }
  }

  close(): void {
    this.mirror.close();
  }
}
