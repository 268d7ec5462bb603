import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { ServiceKey } from '../../scripts/lib/stack.js';
import { logRecords, RealtimeClient, registryReader, tryUpgrade } from '../integration/realtime-gateway-helpers.js';
import { waitFor } from '../helpers/ports.js';
import { CLIENT_LIMITS_OFF } from '../helpers/limits.js';
import { recordReliability } from '../helpers/reliability.js';
import { startReplica } from '../helpers/replicas.js';
import { startStack } from '../helpers/stack.js';
import { answerOf, type StreamedTurn, streamChat, turnState } from '../helpers/turns.js';

// SIGTERM to each service under load: new requests refused with 503, long-lived connections given
// the grace period (SHUTDOWN_GRACE_MS, 2 s in the stack) and then closed 1001, NATS drained last,
// and no answer that had started is lost. test/integration/shutdown.test.ts checks the sequence on
// an idle relay; this file puts each service under traffic.

const MODEL = 'gpt-4o-mini';
const GRACE_MS = 2_000;
const stack = await startStack({ env: { ...CLIENT_LIMITS_OFF, SIM_TOKEN_DELAY_MS: '40', SHUTDOWN_GRACE_MS: String(GRACE_MS) } });
t.teardown(() => stack.stop());
/** A second gateway: what clients fall back to, and where answers are polled after the first stops. */
const gateway2 = await startReplica(stack, 'gateway', 'gateway-2');
t.teardown(() => gateway2.proc.stop());
await waitFor('second gateway ready', async () => ((await fetch(`${gateway2.url}/readyz`)).ok ? true : undefined), { timeoutMs: 20_000 });
const registry = await registryReader(stack.nats.url);
t.teardown(() => registry.nc.close());
const figures: Record<string, number | string | boolean> = { graceMs: GRACE_MS };
const wsUrl = (base: string) => `${base.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`;
const serviceUrl = (name: ServiceKey) => `http://127.0.0.1:${stack.ports[name]}`;

/**
 * The kit's shutdown steps as the service logged them, ordered by the time in each line rather than
 * by when the line reached the test: a CI run once saw "done" arrive before "HTTP closed" although
 * the kit logs them in sequence.
 */
const shutdownSteps = (lines: string[]) =>
  lines
    .map((line) => {
      try {
        return JSON.parse(line) as { msg?: string; time?: string };
      } catch {
        return undefined;
      }
    })
    .filter((r): r is { msg: string; time?: string } => r?.msg?.startsWith('shutdown: ') ?? false)
    .sort((a, b) => Date.parse(a.time ?? '') - Date.parse(b.time ?? ''))
    .map((r) => r.msg);
const ORDER = ['shutdown: stop accepting', 'shutdown: HTTP closed, draining NATS', 'shutdown: done'];

/** Starts turns long enough to outlast the grace period, resolving once each has shown text. */
async function streamingTurns(base: string, count: number, prompt: string): Promise<Promise<StreamedTurn>[]> {
  const started: Promise<void>[] = [];
  const turns = Array.from({ length: count }, (_, i) => {
    let shown: () => void = () => {};
    started.push(new Promise((r) => (shown = r)));
    return streamChat(base, MODEL, `${prompt} ${i}`, { onFirstDelta: () => shown() });
  });
  await Promise.all(started);
  return turns;
}

async function restart(name: ServiceKey): Promise<void> {
  await stack.startService(name);
  await waitFor(`${name} ready again`, async () => ((await fetch(`${serviceUrl(name)}/readyz`).catch(() => undefined))?.ok ? true : undefined), { timeoutMs: 20_000 });
  await waitFor('gateway ready again', async () => ((await fetch(`${gateway2.url}/readyz`)).ok ? true : undefined), { timeoutMs: 20_000 });
}

t.test('gateway: 503 to new requests, SSE told shutting_down, WebSockets 1001 after the grace, answers go on', async (t) => {
  const base = stack.gatewayUrl;
  const sockets = await Promise.all(Array.from({ length: 5 }, () => RealtimeClient.open(wsUrl(base))));
  const turns = await streamingTurns(base, 4, '[sim:tokens=150] a long answer');
  const stopped = stack.stopService('gateway');
  // Back for the next case even when an assertion of this one throws.
  t.teardown(() => restart('gateway'));
  await sleep(100);
  const during = await fetch(`${base}/api/models`).then(
    (r) => r.status,
    () => 'refused',
  );
  t.equal(during, 503, 'a new request during the grace period is answered 503');
  const upgrade = await tryUpgrade(wsUrl(base)).then(
    (o) => o.status,
    () => 'refused',
  );
  t.not(upgrade, 101, `a new WebSocket is not accepted (${upgrade})`);
  t.ok(
    sockets.every((s) => s.open),
    'open WebSockets are left alone during the grace period',
  );
  t.equal(await stopped, 0, 'exits 0');
  t.same(
    sockets.map((s) => s.closeCode),
    sockets.map(() => 1001),
    'every WebSocket closed 1001 (going away)',
  );
  t.ok(
    sockets.every((s) => s.events.some((e) => e.type === 'error')),
    'each told why in an error event first',
  );
  const streamed = await Promise.all(turns);
  t.same(
    streamed.map((s) => `${s.end}:${s.code}`),
    streamed.map(() => 'delivery_error:shutting_down'),
    'each SSE stream ended with delivery_error shutting_down',
  );
  t.same(shutdownSteps(stack.logs('gateway')), ORDER, 'HTTP closed, then NATS drained');
  // The turns are llm-text's: they went on, and the other gateway serves them whole.
  const ended = await Promise.all(
    streamed.map((s) => waitFor(`turn ${s.turnId} to end`, async () => ((await turnState(gateway2.url, s.turnId)).finished ? turnState(gateway2.url, s.turnId) : undefined), { timeoutMs: 30_000 })),
  );
  t.ok(
    ended.every((e) => e.last?.type === 'done'),
    'every answer that had started finished',
  );
  t.ok(
    streamed.every((s, i) => answerOf(ended[i]?.chunks ?? []).startsWith(answerOf(s.chunks))),
    'and begins with what was streamed before the shutdown',
  );
  figures.gatewayWebSocketsClosed1001 = sockets.filter((s) => s.closeCode === 1001).length;
  figures.gatewayStreamsToldShuttingDown = streamed.filter((s) => s.code === 'shutting_down').length;
  figures.gatewayAnswersFinishedAfter = ended.filter((e) => e.last?.type === 'done').length;
  figures.gatewayNewRequestStatus = during;
});

t.test('realtime-relay: no new session, open ones closed 1001 with relay_shutting_down after the grace, new ones on the other relay', async (t) => {
  const replica = await startReplica(stack, 'realtime-relay', 'relay-2');
  t.teardown(() => replica.proc.stop());
  await waitFor('both relays registered', async () => ((await registry.live()).length === 2 ? true : undefined), { timeoutMs: 20_000 });
  const sessions = await Promise.all(Array.from({ length: 8 }, () => RealtimeClient.open(wsUrl(gateway2.url))));
  t.teardown(() => {
    for (const s of sessions) s.ws.terminate();
  });
  await Promise.all(sessions.map((s) => s.askForAudio('talk to me')));
  const onRelay = logRecords(gateway2.logs, 'realtime connection piped to relay').length;
  const stopped = stack.stopService('realtime-relay');
  // Back for the next case even when an assertion of this one throws.
  t.teardown(() => restart('realtime-relay'));
  await sleep(300);
  const direct = await tryUpgrade(`ws://127.0.0.1:${stack.ports['realtime-relay']}/v1/realtime?model=gpt-realtime`).then(
    (o) => o.status,
    () => 'refused',
  );
  t.not(direct, 101, `the draining relay takes no new session (${direct})`);
  const fresh = await RealtimeClient.open(wsUrl(gateway2.url));
  t.ok(fresh.open, 'a new session through the gateway lands on the other relay');
  t.equal(await stopped, 0, 'exits 0');
  const closed = sessions.filter((s) => !s.open);
  t.ok(closed.length > 0 && onRelay > 0, `${closed.length} of the sessions were on the stopped relay`);
  t.ok(
    closed.every((s) => s.closeCode === 1001),
    `each closed 1001 (${[...new Set(closed.map((s) => s.closeCode))].join(', ')})`,
  );
  t.ok(
    closed.every((s) => s.events.some((e) => e.type === 'error' && (e.error as { code?: string }).code === 'relay_shutting_down')),
    'after an error event relay_shutting_down',
  );
  t.same(shutdownSteps(stack.logs('realtime-relay')), ORDER, 'HTTP closed, then NATS drained');
  figures.relaySessionsClosed1001 = closed.filter((s) => s.closeCode === 1001).length;
  fresh.close();
});

t.test('llm-text: turns that started finish within the grace, turns asked meanwhile go to the other instance and are answered whole', async (t) => {
  const replica = await startReplica(stack, 'llm-text', 'llm-text-2');
  t.teardown(() => replica.proc.stop());
  await waitFor('two llm-text instances', async () => {
    const body = (await (await fetch(`${gateway2.url}/readyz`)).json()) as { services: { name: string; instances: unknown[] }[] };
    return body.services.find((s) => s.name === 'llm-text')?.instances.length === 2 ? true : undefined;
  });
  // 30 tokens at 40 ms: inside the 2 s grace, and still running when the turns below are asked
  // (an instance whose turns have all ended drains NATS and takes nothing more anyway).
  const turns = await streamingTurns(gateway2.url, 6, '[sim:tokens=30] a short answer');
  const stopped = stack.stopService('llm-text');
  // Back for the next case even when an assertion of this one throws.
  t.teardown(() => restart('llm-text'));
  // Once the draining instance has begun to close; answers of 100 tokens at 40 ms outlast its
  // grace, so one that started there would end as stopped.
  await waitFor('llm-text to begin its shutdown', () => (shutdownSteps(stack.logs('llm-text')).length > 0 ? true : undefined));
  await sleep(100);
  const during = await Promise.all(Array.from({ length: 4 }, (_, i) => streamChat(gateway2.url, MODEL, `[sim:tokens=100] asked during the shutdown ${i}`)));
  t.equal(await stopped, 0, 'exits 0');
  const streamed = await Promise.all(turns);
  // t.has, not t.match: a string in a match pattern is a substring, and 'stopped' contains 'stop'.
  t.has(
    streamed.map((s) => s.chunks.at(-1)),
    streamed.map(() => ({ type: 'done', finishReason: 'stop' })),
    'every turn that had started finished (none cut as stopped)',
  );
  t.has(
    during.map((d) => d.chunks.at(-1)),
    during.map(() => ({ type: 'done', finishReason: 'stop' })),
    'turns asked during the shutdown were answered whole, none cut by the grace',
  );
  t.same(shutdownSteps(stack.logs('llm-text')), ORDER, 'HTTP closed, then NATS drained');
  figures.llmTextTurnsInFlight = streamed.length;
  figures.llmTextTurnsFinished = streamed.filter((s) => s.end === 'done' && s.chunks.at(-1)?.type === 'done' && (s.chunks.at(-1) as { finishReason?: string }).finishReason === 'stop').length;
  figures.llmTextTurnsAskedDuringShutdownAnswered = during.filter((d) => (d.chunks.at(-1) as { finishReason?: string } | undefined)?.finishReason === 'stop').length;
});

t.test('session: exits 0 after draining; the gateway then answers its routes 503', async (t) => {
  const stopped = stack.stopService('session');
  // Back for the next case even when an assertion of this one throws.
  t.teardown(() => restart('session'));
  t.equal(await stopped, 0, 'exits 0');
  t.same(shutdownSteps(stack.logs('session')), ORDER, 'HTTP closed, then NATS drained');
  const secret = await waitFor('the gateway to notice', async () => {
    const r = await fetch(`${gateway2.url}/v1/realtime/client_secrets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session: { type: 'realtime', model: 'gpt-realtime' } }),
    });
    return r.status === 503 ? r : undefined;
  });
  t.match(await secret.json(), { error: { code: /^service_/ } }, 'with a clear code');
});

t.test('record', async () => {
  await recordReliability({
    id: 'faults/shutdown',
    section: 'faults',
    title: 'SIGTERM to the gateway, a relay, llm-text and session under traffic',
    figures,
    passed: !t.counts.fail,
  });
});
