import { StorageType, type KV, type NatsConnection } from 'nats';
import { createParser, RelayEntry, RelayRegistry } from '@voxgate/protocol';

const parseEntry = createParser(RelayEntry);

/**
 * Opens (creating it if missing) the relay registry bucket. Memory storage: the entries say who is
 * alive now, nothing worth keeping across a NATS restart; `max_age` forgets a replica that stopped
 * refreshing its entry (NATS 2.9 has no per-entry TTL).
 */
export async function openRelayRegistry(nc: NatsConnection): Promise<KV> {
  return nc.jetstream().views.kv(RelayRegistry.bucket, {
    history: 1,
    ttl: RelayRegistry.maxAgeMs,
    storage: StorageType.Memory,
  });
}

/**
 * The relay replicas that take new sessions: live (refreshed within `staleAfterMs`), not draining
 * and not full, least loaded first (by share of capacity in use, then by absolute sessions).
 */
export async function listLiveRelays(
  nc: NatsConnection,
  options: { nowMs?: number; staleAfterMs?: number; kv?: KV } = {},
): Promise<RelayEntry[]> {
  const kv = options.kv ?? (await openRelayRegistry(nc));
  const nowMs = options.nowMs ?? Date.now();
  const staleAfterMs = options.staleAfterMs ?? RelayRegistry.staleAfterMs;
  const keys: string[] = [];
  for await (const key of await kv.keys()) keys.push(key);
  const entries = await Promise.all(
    keys.map(async (key) => {
      const stored = await kv.get(key);
      if (stored === null || stored.operation !== 'PUT') return undefined;
      let data: unknown;
      try {
        data = stored.json();
      } catch {
        return undefined;
      }
      const parsed = parseEntry.parse(data);
      return parsed.ok ? parsed.value : undefined;
    }),
  );
  return entries
    .filter((e): e is RelayEntry => e !== undefined)
    .filter((e) => !e.draining && nowMs - e.updatedAt <= staleAfterMs && e.activeSessions < e.capacity)
    .sort((a, b) => a.activeSessions / a.capacity - b.activeSessions / b.capacity || a.activeSessions - b.activeSessions);
}
