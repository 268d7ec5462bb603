import type { FastifyBaseLogger } from 'fastify';
import { type KV, type NatsConnection, StorageType } from 'nats';

const WATCH_RETRY_MS = 1_000;

/**
 * A JetStream KV bucket (file storage, one value per key, entries dropped after `maxAgeMs`) with a
 * local copy kept by a watch: every gateway replica reads the same values from memory, without a
 * NATS round trip on the request path, and sees another replica's writes a moment later.
 */
export class KvMirror {
  readonly #values = new Map<string, { value: string; revision: number }>();
  #stopWatch: (() => void) | undefined;
  #closed = false;

  private constructor(readonly kv: KV) {}

  static async open(nc: NatsConnection, options: { bucket: string; maxAgeMs: number; log: FastifyBaseLogger }): Promise<KvMirror> {
    const kv = await nc.jetstream().views.kv(options.bucket, { storage: StorageType.File, history: 1, ttl: options.maxAgeMs });
    const mirror = new KvMirror(kv);
    await mirror.#watch(options.log, options.bucket);
    // After NATS comes back the watch's consumer is gone and the watch waits silently for ever;
    // stopping it makes `#watch` open a new one, which replays every key.
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'reconnect' && !mirror.#closed) mirror.#stopWatch?.();
    })();
    return mirror;
  }

  /** Follows the bucket; a watch that ends is opened again a moment later. */
  async #watch(log: FastifyBaseLogger, bucket: string): Promise<void> {
    const watch = await this.kv.watch({ key: '>' });
    this.#stopWatch = () => watch.stop();
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation === 'PUT') this.#values.set(entry.key, { value: entry.string(), revision: entry.revision });
        else this.#values.delete(entry.key);
      }
    })()
      .catch((error: unknown) => log.warn({ err: error, bucket }, 'KV watch failed'))
      .finally(() => this.#watchAgainLater(log, bucket));
  }

  #watchAgainLater(log: FastifyBaseLogger, bucket: string): void {
    if (this.#closed) return;
    setTimeout(() => {
      if (this.#closed) return;
      this.#watch(log, bucket).catch((error: unknown) => {
        log.warn({ err: error, bucket }, 'KV watch not reopened yet');
        this.#watchAgainLater(log, bucket);
      });
    }, WATCH_RETRY_MS).unref();
  }

  get(key: string): string | undefined {
    return this.#values.get(key)?.value;
  }

  /** The revision of the value last seen for `key` (0 when none), for a compare-and-set without a read first. */
  revision(key: string): number {
    return this.#values.get(key)?.revision ?? 0;
  }

  /**
   * Records a value this replica has just written, before the watch brings it back; `revision`
   * (when known) lets a later compare-and-set skip reading the key first.
   */
  remember(key: string, value: string, revision = 0): void {
    const known = this.#values.get(key);
    if (revision === 0 || !known || revision > known.revision) this.#values.set(key, { value, revision });
  }

  forget(key: string): void {
    this.#values.delete(key);
  }

  close(): void {
    this.#closed = true;
    this.#stopWatch?.();
  }
}
