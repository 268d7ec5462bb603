import type { KV, NatsConnection } from 'nats';
import type { RelayEntry } from '@voxgate/protocol';
import { listLiveRelays, openRelayRegistry } from '@voxgate/service-kit';

/**
 * How long one read of the registry serves new sessions. A burst of upgrades then reads NATS once;
 * an entry that went stale in between costs a refused dial (the next replica is tried), never a
 * session routed to a dead or draining replica, since such a replica refuses or does not answer.
 */
const REGISTRY_CACHE_MS = 500;
/**
 * After a replica could not be reached, it is tried last for this long: a crashed replica stays in
 * the registry until its entry goes stale (seconds), and each upgrade should not wait on it first.
 */
const UNREACHABLE_MS = 5_000;
/** Added to an unreachable replica's share of capacity; no real share comes near it. */
const UNREACHABLE_PENALTY = 1e9;

/** Says how a dial ended; after `'piped'`, returns the function to call when the connection ends. */
export type DialEnded = (outcome: 'piped' | 'refused' | 'unreachable') => () => void;

/**
 * The relay replicas, least loaded first, as this gateway estimates it. The registry's
 * `activeSessions` lags (a replica rewrites its entry when a session opens, and the gateway reads it
 * at most every `REGISTRY_CACHE_MS`), so a burst of sessions would all go to the replica that was
 * idlest a moment ago. The gateway therefore adds what it knows itself: the dials it has in flight
 * and the connections it pipes to each replica. With several gateways, each counts its own; the
 * registry brings in the others' with its lag.
 */
export class RelayPool {
  #kv: KV | undefined;
  #cached: { entries: RelayEntry[]; atMs: number } | undefined;
  #inFlight: Promise<RelayEntry[]> | undefined;
  readonly #dialing = new Map<string, number>();
  readonly #piped = new Map<string, number>();
  readonly #unreachableAtMs = new Map<string, number>();

  constructor(private readonly nc: NatsConnection) {}

  /** Live replicas taking sessions, per the registry. Throws if the registry cannot be read. */
  async live(): Promise<RelayEntry[]> {
    const cached = this.#cached;
    return cached && Date.now() - cached.atMs < REGISTRY_CACHE_MS ? cached.entries : this.#read();
  }

  /**
   * The least-loaded replica of `entries` not yet `tried`, counted as being dialed until the
   * returned `ended` says how the dial went. Choosing and counting happen in one synchronous step:
   * concurrent upgrades that awaited the same registry read then each see the others' choices.
   */
  reserve(entries: readonly RelayEntry[], tried: ReadonlySet<string>): { relay: RelayEntry; ended: DialEnded } | undefined {
    let best: RelayEntry | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    const nowMs = Date.now();
    for (const [id, atMs] of this.#unreachableAtMs) if (nowMs - atMs >= UNREACHABLE_MS) this.#unreachableAtMs.delete(id);
    // Entries come least loaded first by the registry's own measure, which breaks ties.
    for (const entry of entries) {
      if (tried.has(entry.id)) continue;
      const sessions = Math.max(entry.activeSessions, this.#piped.get(entry.id) ?? 0) + (this.#dialing.get(entry.id) ?? 0);
      const unreachable = this.#unreachableAtMs.has(entry.id);
      // An unreachable replica comes after every reachable one, however loaded.
      const load = sessions / entry.capacity + (unreachable ? UNREACHABLE_PENALTY : 0);
      if (load < bestLoad) {
        best = entry;
        bestLoad = load;
      }
    }
    if (!best) return undefined;
    const relayId = best.id;
    bump(this.#dialing, relayId, 1);
    const ended: DialEnded = (outcome) => {
      bump(this.#dialing, relayId, -1);
      if (outcome === 'unreachable') this.#unreachableAtMs.set(relayId, Date.now());
      else if (outcome === 'piped') this.#unreachableAtMs.delete(relayId);
      if (outcome !== 'piped') return () => {};
      bump(this.#piped, relayId, 1);
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        bump(this.#piped, relayId, -1);
      };
    };
    return { relay: best, ended };
  }

  #read(): Promise<RelayEntry[]> {
    this.#inFlight ??= (async () => {
      try {
        this.#kv ??= await openRelayRegistry(this.nc);
        const entries = await listLiveRelays(this.nc, { kv: this.#kv });
        this.#cached = { entries, atMs: Date.now() };
        return entries;
      } catch (error) {
        // The handle may belong to a bucket that was deleted with a NATS restart: open it again next time.
        this.#kv = undefined;
        throw error;
      } finally {
        this.#inFlight = undefined;
      }
    })();
    return this.#inFlight;
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
