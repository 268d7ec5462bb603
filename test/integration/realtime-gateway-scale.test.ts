import t from 'tap';
import type { ManagedProcess } from '../../scripts/lib/processes.js';
import { spawnService } from '../../scripts/lib/stack.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';
import { logRecords, RealtimeClient, registryReader, tryUpgrade } from './realtime-gateway-helpers.js';

// Three relay replicas behind one gateway: spreading, a crashed replica, a draining one, none at all.

const SESSIONS = 30;
const stack = await startStack();
t.teardown(() => stack.stop());
const lines = new Map<string, string[]>();
const onLine = (name: string, line: string) => lines.set(name, [...(lines.get(name) ?? []), line]);
/** The two replicas this test starts, by port; the stack's own is the third. */
const replicas = new Map<number, ManagedProcess>();
for (const label of ['relay-2', 'relay-3']) {
  const port = await freePort();
  const proc = spawnService('realtime-relay', { label, port, env: stack.env, onLine });
  replicas.set(port, proc);
  t.teardown(() => proc.stop());
}
const registry = await registryReader(stack.nats.url);
t.teardown(() => registry.nc.close());
const portOf = (address: string) => Number(new URL(address).port);
await waitFor('three relays registered', async () => ((await registry.live()).length === 3 ? true : undefined), { timeoutMs: 30_000 });

const url = `${stack.gatewayUrl.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`;
/** The relay each upgrade was piped to, from the gateway's log, from line `from` on. */
const pipedTo = (from = 0) => logRecords(stack.logs('gateway').slice(from), 'realtime connection piped to relay').map((r) => String(r.relayId));
/** Sessions per relay id as the registry says, once it has caught up with `total`. */
const loadByRelay = (total: number) =>
  waitFor(`the registry to count ${total} sessions`, async () => {
    const entries = await registry.live();
    const sum = entries.reduce((n, e) => n + e.activeSessions, 0);
    return sum === total ? new Map(entries.map((e) => [e.id, e.activeSessions])) : undefined;
  });

const clients: RealtimeClient[] = [];
t.teardown(() => {
  for (const c of clients) c.ws.terminate();
});

t.test(`${SESSIONS} sessions spread across the three replicas`, async (t) => {
  clients.push(...(await Promise.all(Array.from({ length: SESSIONS }, () => RealtimeClient.open(url)))));
  const load = await loadByRelay(SESSIONS);
  t.equal(load.size, 3);
  for (const [id, sessions] of load) t.ok(sessions >= 5 && sessions <= 15, `relay ${id} holds ${sessions} sessions`);
  await clients[0]?.askForAudio('are you there?');
});

t.test('a replica killed with SIGKILL: its clients are closed, reconnect and land on survivors, the registry forgets it', async (t) => {
  const entries = await registry.live();
  const victim = entries.find((e) => replicas.has(portOf(e.address)));
  if (!victim) throw new Error('no spawned replica in the registry');
  const victimSessions = (await loadByRelay(SESSIONS)).get(victim.id) ?? 0;
  const killedAtMs = Date.now();
  const logFrom = stack.logs('gateway').length;
  await replicas.get(portOf(victim.address))?.kill();
  replicas.delete(portOf(victim.address));

  const lost = await waitFor(`the ${victimSessions} clients of the dead replica to close`, () => {
    const closed = clients.filter((c) => !c.open);
    return closed.length >= victimSessions ? closed : undefined;
  });
  t.ok(victimSessions > 0, `it held ${victimSessions} sessions`);
  t.equal(lost.length, victimSessions, 'exactly its clients were closed');
  t.ok(Date.now() - killedAtMs < 5_000, 'promptly');
  t.ok(clients.filter((c) => c.open).length === SESSIONS - victimSessions, 'the others go on');

  // Reconnect at once, while the dead replica may still be in the registry: no session lands on it.
  const again = await Promise.all(lost.map(() => RealtimeClient.open(url)));
  clients.push(...again);
  t.notOk(pipedTo(logFrom).includes(victim.id), 'no new session was routed to the dead replica');
  await again[0]?.askForAudio('back?');

  await waitFor('the registry to forget the dead replica', async () => ((await registry.stored(victim.id)) ? undefined : true), { timeoutMs: 10_000 });
  t.ok(Date.now() - killedAtMs <= 10_000, `forgotten after ${Date.now() - killedAtMs} ms`);
  t.notOk((await registry.live()).some((e) => e.id === victim.id));
});

t.test('a draining replica (SIGTERM) gets no new session', async (t) => {
  const entries = await registry.live();
  const draining = entries.find((e) => replicas.has(portOf(e.address)));
  if (!draining) throw new Error('no spawned replica left');
  const proc = replicas.get(portOf(draining.address));
  replicas.delete(portOf(draining.address));
  const openBefore = clients.filter((c) => c.open);
  const itsSessions = (await loadByRelay(openBefore.length)).get(draining.id) ?? 0;
  const logFrom = stack.logs('gateway').length;
  const stopped = proc?.stop();
  // Opened while the replica drains (its grace is SHUTDOWN_GRACE_MS, 2 s in the stack).
  await new Promise((r) => setTimeout(r, 200));
  const fresh = await Promise.all(Array.from({ length: 6 }, () => RealtimeClient.open(url)));
  clients.push(...fresh);
  t.notOk(pipedTo(logFrom).includes(draining.id), 'none went to the draining replica');
  t.equal(await stopped, 0, 'the draining replica exits cleanly');
  const closedWith1001 = openBefore.filter((c) => c.closeCode === 1001).length;
  t.equal(closedWith1001, itsSessions, `its ${itsSessions} sessions were closed with 1001 through the gateway after the grace period`);
  t.ok(fresh.every((c) => c.open), 'the new sessions go on');
});

t.test('no replica at all: 503 no_relay at the upgrade', async (t) => {
  await stack.stopService('realtime-relay');
  for (const proc of replicas.values()) await proc.stop();
  replicas.clear();
  const outcome = await tryUpgrade(url);
  t.has(outcome, { status: 503, body: { error: { code: 'no_relay' } } });
});
