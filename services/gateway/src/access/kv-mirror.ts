import type { FastifyBaseLogger } from 'fastify';
import { StorageType, type KV, type NatsConnection } from 'nats';

/**
 * A JetStream KV bucket (file storage, one value per key, entries dropped after `maxAgeMs`) with a
 * local copy kept by a watch: every gateway replica reads the same values from memory, without a
 * NATS round trip on the request path, and sees another replica's writes a moment later.
 */
export class KvMirror {
  readonly #values = new Map<string, string>();
  readonly #stop: () => void;

  private constructor(
    readonly kv: KV,
    stop: () => void,
  ) {
    this.#stop = stop;
  }

  static async open(nc: NatsConnection, options: { bucket: string; maxAgeMs: number; log: FastifyBaseLogger }): Promise<KvMirror> {
    const kv = await nc.jetstream().views.kv(options.bucket, { storage: StorageType.File, history: 1, ttl: options.maxAgeMs });
    const watch = await kv.watch({ key: '>' });
    const mirror = new KvMirror(kv, () => watch.stop());
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation === 'PUT') mirror.#values.set(entry.key, entry.string());
        else mirror.#values.delete(entry.key);
      }
    })().catch((error: unknown) => options.log.warn({ err: error, bucket: options.bucket }, 'KV watch ended'));
    return mirror;
  }

  get(key: string): string | undefined {
    return this.#values.get(key);
  }

  /** Records a value this replica has just written, before the watch brings it back. */
  remember(key: string, value: string): void {
    this.#values.set(key, value);
  }

  forget(key: string): void {
    this.#values.delete(key);
  }

  close(): void {
    this.#stop();
  }
}
