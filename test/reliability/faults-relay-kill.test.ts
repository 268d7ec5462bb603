import t from 'tap';
import { registryReader } from '../integration/realtime-gateway-helpers.js';
import { waitFor } from '../helpers/ports.js';
import { ReconnectingClient } from '../helpers/reconnecting-client.js';
import { CLIENT_LIMITS_OFF } from '../helpers/limits.js';
import { recordReliability } from '../helpers/reliability.js';
import { startReplica } from '../helpers/replicas.js';
import { startStack } from '../helpers/stack.js';

// One of three relay replicas killed with SIGKILL under 50 sessions; the clients reconnect and
// re-seed as the page does.

const SESSIONS = 50;
const RESEED_LIMIT_MS = 3_000;

const stack = await startStack({ env: CLIENT_LIMITS_OFF });
t.teardown(() => stack.stop());
const replicas = await Promise.all(['relay-2', 'relay-3'].map((label) => startReplica(stack, 'realtime-relay', label)));
t.teardown(() => Promise.all(replicas.map((r) => r.proc.stop())));
const registry = await registryReader(stack.nats.url);
t.teardown(() => registry.nc.close());
await waitFor('three relays registered', async () => ((await registry.live()).length === 3 ? true : undefined), { timeoutMs: 30_000 });
const url = `${stack.gatewayUrl.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`;

t.test(`a relay killed under ${SESSIONS} sessions: its clients are told, reconnect to survivors and are re-seeded within 3 s`, async (t) => {
  const clients: ReconnectingClient[] = [];
  t.teardown(() => {
    for (const c of clients) c.stop();
  });
  for (let opened = 0; opened < SESSIONS; opened += 10) {
    clients.push(...(await Promise.all(Array.from({ length: 10 }, () => ReconnectingClient.open(url)))));
  }
  await Promise.all(
    clients.map(async (c, i) => {
      await c.say(`hello, I am caller ${i}`);
      c.heard(`Nice to meet you, caller ${i}.`);
      await c.say('please remember my number');
    }),
  );
  const load = await waitFor('the registry to count every session', async () => {
    const entries = await registry.live();
    return entries.reduce((n, e) => n + e.activeSessions, 0) === SESSIONS ? entries : undefined;
  });
  const victim = load.find((e) => replicas.some((r) => new URL(e.address).port === String(r.port)));
  const victimProc = replicas.find((r) => victim && new URL(victim.address).port === String(r.port));
  if (!victim || !victimProc) throw new Error('no spawned replica in the registry');
  t.ok(victim.activeSessions > 0, `the victim holds ${victim.activeSessions} sessions`);

  const killedAtMs = Date.now();
  await victimProc.proc.kill();
  const dropped = await waitFor(`the victim's ${victim.activeSessions} clients to notice`, () => {
    const d = clients.filter((c) => c.droppedAtMs !== undefined);
    return d.length >= victim.activeSessions ? d : undefined;
  });
  await Promise.all(dropped.map((c) => c.reseeded));
  const untouched = clients.filter((c) => c.droppedAtMs === undefined);

  const noticedMs = dropped.map((c) => (c.droppedAtMs ?? 0) - killedAtMs);
  const reseededMs = dropped.map((c) => (c.reseededAtMs ?? Number.POSITIVE_INFINITY) - killedAtMs);
  t.equal(dropped.length, victim.activeSessions, 'exactly the victim’s clients were told (their sockets closed)');
  t.ok(
    dropped.every((c) => c.drops.every((code) => code !== 1000)),
    `none was told it was a normal end (close codes ${[...new Set(dropped.flatMap((c) => c.drops))].join(', ')})`,
  );
  t.ok(
    reseededMs.every((ms) => ms <= RESEED_LIMIT_MS),
    `each reconnected and re-seeded within ${RESEED_LIMIT_MS} ms (slowest ${Math.max(...reseededMs)} ms)`,
  );
  t.ok(untouched.every((c) => c.client.open), 'the other sessions went on untouched');
  const after = await waitFor('the registry to count the sessions on the survivors', async () => {
    const entries = await registry.live();
    return entries.reduce((n, e) => n + e.activeSessions, 0) === SESSIONS && !entries.some((e) => e.id === victim.id) ? entries : undefined;
  });
  t.equal(after.length, 2, 'every session is now on one of the two survivors');
  // A re-seeded session goes on: it answers with audio.
  const sample = dropped[0];
  if (sample) await sample.client.askForAudio('are you still there?');

  await recordReliability({
    id: 'faults/relay-kill',
    section: 'faults',
    title: `One of three relay replicas killed with SIGKILL under ${SESSIONS} realtime sessions; clients reconnect and re-seed as the page does`,
    figures: {
      sessions: SESSIONS,
      relayReplicas: 3,
      sessionsOnKilledRelay: victim.activeSessions,
      clientsNotified: dropped.length,
      clientsReseeded: reseededMs.filter((ms) => Number.isFinite(ms)).length,
      noticedMsMax: Math.max(...noticedMs),
      reconnectMsMax: Math.max(...reseededMs),
      reconnectMsMedian: [...reseededMs].sort((a, b) => a - b)[Math.floor(reseededMs.length / 2)] ?? Number.NaN,
      reseedLimitMs: RESEED_LIMIT_MS,
      itemsReseededPerSession: 3,
    },
    passed: !t.counts.fail,
  });
});
