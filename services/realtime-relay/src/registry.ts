import type { FastifyBaseLogger } from 'fastify';
import type { KV, NatsConnection } from 'nats';
import { RelayRegistry, type RelayEntry } from '@voxgate/protocol';
import { openRelayRegistry } from '@voxgate/service-kit';

/** What the entry says about this replica right now. */
export interface RelayLoad {
  activeSessions: number;
  draining: boolean;
}

/**
 * This replica's entry in the relay registry (`RelayRegistry.bucket`, key = replica id), rewritten
 * every `refreshIntervalMs` and whenever its load changes, so the gateway routes by fresh numbers
 * and a dead replica ages out of the bucket. Writes never overlap: a change during a write is
 * written right after it.
 */
export class RegistryEntry {
  #kv: KV | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing = false;
  #dirty = false;
  #stopped = false;

  constructor(
    readonly id: string,
    readonly address: string,
    readonly capacity: number,
    readonly load: () => RelayLoad,
    readonly log: FastifyBaseLogger,
  ) {}

  async start(nc: NatsConnection): Promise<void> {
    this.#kv = await openRelayRegistry(nc);
    await this.#write();
    this.#timer = setInterval(() => this.changed(), RelayRegistry.refreshIntervalMs);
    this.log.info({ relayId: this.id, address: this.address, bucket: RelayRegistry.bucket }, 'registered in the relay registry');
  }

  /** The load changed (or the refresh is due): write the entry now, or right after the write in progress. */
  changed(): void {
    if (this.#stopped || this.#kv === undefined) return;
    if (this.#writing) {
      this.#dirty = true;
      return;
    }
    void this.#write();
  }

  /** Writes the entry once more (e.g. draining) and waits for it. */
  async flush(): Promise<void> {
    while (this.#writing) await new Promise((r) => setTimeout(r, 10));
    await this.#write();
  }

  /** Stops refreshing and deletes the entry, so the gateway stops choosing this replica at once. */
  async remove(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    while (this.#writing) await new Promise((r) => setTimeout(r, 10));
    await this.#kv?.delete(this.id).catch((err: unknown) => this.log.warn({ err }, 'could not delete the registry entry'));
  }

  async #write(): Promise<void> {
    const kv = this.#kv;
    if (kv === undefined || (this.#stopped && this.#timer !== undefined)) return;
    this.#writing = true;
    try {
      do {
        this.#dirty = false;
        const { activeSessions, draining } = this.load();
        const entry: RelayEntry = { id: this.id, address: this.address, activeSessions, capacity: this.capacity, draining, updatedAt: Date.now() };
        await kv.put(this.id, JSON.stringify(entry));
      } while (this.#dirty && !this.#stopped);
    } catch (err) {
      // NATS may be reconnecting; the next refresh tries again.
      this.log.warn({ err }, 'could not refresh the registry entry');
    } finally {
      this.#writing = false;
    }
  }
}
