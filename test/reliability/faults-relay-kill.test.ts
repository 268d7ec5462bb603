import t from 'tap';
import { logRecords, registryReader } from '../integration/realtime-gateway-helpers.js';
import { fakeMicrophoneWav, launchChromium } from '../helpers/browser.js';
import { waitFor } from '../helpers/ports.js';
import { ReconnectingClient } from '../helpers/reconnecting-client.js';
import { CLIENT_LIMITS_OFF } from '../helpers/limits.js';
import { recordReliability } from '../helpers/reliability.js';
import { startReplica } from '../helpers/replicas.js';
import { startStack } from '../helpers/stack.js';

// One of three relay replicas killed with SIGKILL under 50 sessions plus the page itself in
// Chromium: the relay killed is the page's; the test clients reconnect and re-seed as the page does.

const SESSIONS = 50;
/**
 * A bound on being back, not a speed figure (that is `reseededMs` in the record): about 1 s here
 * when the machine is quiet, and over 3 s when two test files and their stacks share its two cores.
 */
const RESEED_LIMIT_MS = 10_000;

const stack = await startStack({ env: CLIENT_LIMITS_OFF });
t.teardown(() => stack.stop());
const replicas = await Promise.all(['relay-2', 'relay-3'].map((label) => startReplica(stack, 'realtime-relay', label)));
t.teardown(() => Promise.all(replicas.map((r) => r.proc.stop())));
const registry = await registryReader(stack.nats.url);
t.teardown(() => registry.nc.close());
await waitFor('three relays registered', async () => ((await registry.live()).length === 3 ? true : undefined), { timeoutMs: 30_000 });
const url = `${stack.gatewayUrl.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`;

const { path: microphone, cleanup: removeMicrophone } = fakeMicrophoneWav(3);
t.teardown(removeMicrophone);
const browser = await launchChromium({ microphoneWav: microphone, autoplay: true });
t.teardown(() => browser.close());

const pageErrors: string[] = [];

/** The page in realtime mode over the WebSocket relay, once the model has answered it (so it has lines to re-seed). */
async function openPage() {
  const context = await browser.newContext({ locale: 'en-US' });
  await context.addInitScript(() => localStorage.setItem('voxgate.transport', 'websocket'));
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const logFrom = stack.logs('gateway').length;
  await page.goto(stack.gatewayUrl);
  await page.locator('.picker-button').click();
  await page.locator('.picker-panel [data-model="gpt-realtime"]').click();
  await page.locator('.rt-status[data-status="connected"]').waitFor({ timeout: 20_000 });
  await waitFor(
    'the model to answer the page',
    () =>
      page.evaluate(() => {
        const hook = (window as unknown as { __voxgate?: { realtime?: { received: Record<string, number> } } }).__voxgate?.realtime;
        return (hook?.received['response.done'] ?? 0) > 0 ? true : undefined;
      }),
    { timeoutMs: 30_000 },
  );
  const relayId = logRecords(stack.logs('gateway').slice(logFrom), 'realtime connection piped to relay').map((r) => String(r.relayId))[0];
  if (relayId === undefined) throw new Error('the gateway did not log where the page went');
  return { context, page, relayId };
}

t.test(`a relay killed under ${SESSIONS} sessions and the page: all are told, reconnect to survivors and are re-seeded within ${RESEED_LIMIT_MS / 1000} s`, async (t) => {
  const clients: ReconnectingClient[] = [];
  t.teardown(() => {
    for (const c of clients) c.stop();
  });
  const { context, page, relayId } = await openPage();
  t.teardown(() => context.close());
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
    return entries.reduce((n, e) => n + e.activeSessions, 0) === SESSIONS + 1 ? entries : undefined;
  });
  // The victim is the page's relay, whichever of the three it is.
  const victim = load.find((e) => e.id === relayId);
  if (!victim) throw new Error(`the page's relay ${relayId} is not in the registry`);
  const victimPort = new URL(victim.address).port;
  const replica = replicas.find((r) => String(r.port) === victimPort);
  const testClientsOnVictim = victim.activeSessions - 1;
  t.ok(testClientsOnVictim > 0, `the page's relay holds ${testClientsOnVictim} test sessions besides the page`);

  const reseededNotes = page.locator('.rt-note[data-note="rt.note.reseeded"]');
  // The sockets as they stand before the kill: a reconnect replaces each dropped client's.
  const socketsBefore = new Map(clients.map((c) => [c, c.client]));
  const killedAtMs = Date.now();
  await (replica ? replica.proc.kill() : stack.killService('realtime-relay'));
  const pageReseeded = reseededNotes
    .first()
    .waitFor({ timeout: 15_000 })
    .then(() => Date.now() - killedAtMs);
  const dropped = await waitFor(`the victim's ${testClientsOnVictim} test clients to notice`, () => {
    const d = clients.filter((c) => c.droppedAtMs !== undefined);
    return d.length >= testClientsOnVictim ? d : undefined;
  });
  await Promise.all(dropped.map((c) => c.reseeded));
  const pageReseededMs = await pageReseeded;
  t.ok(pageReseededMs <= RESEED_LIMIT_MS, `the page reconnected and re-seeded its conversation in ${pageReseededMs} ms`);
  t.match(await reseededNotes.first().textContent(), /Reconnected\. The conversation so far \(\d+ messages\)/, 'and says so');
  await page.locator('.rt-status[data-status="connected"]').waitFor({ timeout: 10_000 });
  t.same(pageErrors, [], 'the page raised no script errors on the way');
  const untouched = clients.filter((c) => c.droppedAtMs === undefined);

  const noticedMs = dropped.map((c) => (c.droppedAtMs ?? 0) - killedAtMs);
  const reseededMs = dropped.map((c) => (c.reseededAtMs ?? Number.POSITIVE_INFINITY) - killedAtMs);
  t.equal(dropped.length, testClientsOnVictim, 'exactly the victim’s clients were told (their sockets closed)');
  t.ok(
    dropped.every((c) => c.drops.every((code) => code !== 1000)),
    `none was told it was a normal end (close codes ${[...new Set(dropped.flatMap((c) => c.drops))].join(', ')})`,
  );
  // The gateway tells a client its relay vanished (a relay_lost event, then 1014) when the relay's stream
  // stood between two frames; one cut mid-frame can only be cut (1006).
  const firstDrops = dropped.map((c) => c.drops[0]);
  const closed1014 = firstDrops.filter((code) => code === 1014).length;
  const closed1006 = firstDrops.filter((code) => code === 1006).length;
  const toldRelayLost = dropped.filter(
    (c) => c.drops[0] === 1014 && socketsBefore.get(c)?.events.some((e) => e.type === 'error' && (e.error as { code?: string } | undefined)?.code === 'relay_lost'),
  ).length;
  t.ok(
    closed1014 + closed1006 === dropped.length,
    `each saw 1014 (relay_lost) or 1006 (cut mid-frame): ${closed1014} and ${closed1006}`,
  );
  // Idle at the kill, the relay's streams stand between frames: 16 of 16 were told so in each of 3 runs here.
  t.ok(toldRelayLost > 0, `${toldRelayLost} of ${dropped.length} got the relay_lost event and 1014, not a bare cut`);
  const pageNote = await page.locator('.rt-note[data-note="rt.note.relayLost"], .rt-note[data-note="rt.note.lost"]').first().getAttribute('data-note');
  t.ok(
    reseededMs.every((ms) => ms <= RESEED_LIMIT_MS),
    `each reconnected and re-seeded within ${RESEED_LIMIT_MS} ms (slowest ${Math.max(...reseededMs)} ms)`,
  );
  t.ok(untouched.every((c) => c.client.open), 'the other sessions went on untouched');
  const after = await waitFor('the registry to count the sessions on the survivors', async () => {
    const entries = await registry.live();
    return entries.reduce((n, e) => n + e.activeSessions, 0) === SESSIONS + 1 && !entries.some((e) => e.id === victim.id) ? entries : undefined;
  });
  t.equal(after.length, 2, 'every session is now on one of the two survivors');
  // A re-seeded session goes on: it answers with audio.
  const sample = dropped[0];
  if (sample) await sample.client.askForAudio('are you still there?');

  await recordReliability({
    id: 'faults/relay-kill',
    section: 'faults',
    title: `One of three relay replicas killed with SIGKILL under ${SESSIONS} realtime sessions and the page in Chromium; clients reconnect and re-seed as the page does`,
    figures: {
      sessions: SESSIONS,
      pageSessions: 1,
      relayReplicas: 3,
      sessionsOnKilledRelay: victim.activeSessions,
      pageReseededMs,
      clientsNotified: dropped.length,
      clientsToldRelayLost: toldRelayLost,
      clientsClosed1014: closed1014,
      clientsClosed1006: closed1006,
      pageToldRelayLost: pageNote === 'rt.note.relayLost',
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
