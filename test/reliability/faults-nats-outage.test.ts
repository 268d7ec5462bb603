import { setTimeout as sleep } from 'node:timers/promises';
import { Conversation, createParser, GatewayStatus } from '@voxgate/protocol';
import t from 'tap';
import { waitFor } from '../helpers/ports.js';
import { CLIENT_LIMITS_OFF } from '../helpers/limits.js';
import { recordReliability } from '../helpers/reliability.js';
import { startStack } from '../helpers/stack.js';
import { answerOf, type StreamedTurn, streamChat, turnState } from '../helpers/turns.js';
import { type GaEvent, RealtimeClient } from '../integration/realtime-gateway-helpers.js';

// NATS stopped for 5 s and started again while text turns stream and realtime sessions talk.

const MODEL = 'gpt-4o-mini';
const TURNS = 6;
const SESSIONS = 3;
const OUTAGE_MS = 5_000;
/** Long enough, at 30 ms a token, that every turn is still streaming when NATS goes away and comes back. */
const LONG_ASK = '[sim:tokens=300] tell me a long story';
/** Past this a turn counts as hung: llm-text's own limits end a turn well before. */
const HANG_MS = 60_000;

const stack = await startStack({ env: { ...CLIENT_LIMITS_OFF, SIM_TOKEN_DELAY_MS: '30' } });
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;
const statusParser = createParser(GatewayStatus);
const conversationParser = createParser(Conversation);
const serviceUrls = Object.entries(stack.ports).map(([name, port]) => ({ name, url: `http://127.0.0.1:${port}` }));

async function instanceIds(): Promise<string[]> {
  const parsed = statusParser.parse(await (await fetch(`${base}/readyz`)).json());
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value.services.flatMap((s) => s.instances.map((i) => i.id)).sort();
}

/** Waits for an event of `type` received after the first `from` events (the client keeps them all). */
function eventAfter(client: RealtimeClient, type: string, from: number, timeoutMs: number): Promise<GaEvent> {
  return waitFor(`${type} after event ${from}`, () => client.events.slice(from).find((e) => e.type === type), { timeoutMs, intervalMs: 20 });
}

async function conversation(id: string): Promise<Conversation> {
  const response = await fetch(`${base}/api/conversations/${id}`);
  const parsed = conversationParser.parse(await response.json());
  if (!parsed.ok) throw new Error(`conversation ${id}: ${response.status} ${parsed.error}`);
  return parsed.value;
}

t.test('NATS down for 5 s mid-traffic: services recover by themselves, nothing hangs, every answer arrives whole', async (t) => {
  const figures: Record<string, number | boolean> = { natsOutageMs: OUTAGE_MS, turnsInFlight: TURNS, realtimeSessions: SESSIONS };
  const idsBefore = await instanceIds();
  const finishedBefore = await streamChat(base, MODEL, 'remember this before the outage');
  t.equal(finishedBefore.end, 'done', 'a turn before the outage finishes');

  const url = `${base.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`;
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => RealtimeClient.open(url)));
  t.teardown(() => {
    for (const s of sessions) s.ws.terminate();
  });
  await Promise.all(sessions.map((s) => s.askForAudio('hello before the outage')));
  // Their first answers end before the outage, so each is idle and ready to answer at once.
  await Promise.all(sessions.map((s) => eventAfter(s, 'response.done', 0, 20_000)));

  const firstDeltas: Promise<void>[] = [];
  const turns: Promise<StreamedTurn>[] = [];
  for (let i = 0; i < TURNS; i++) {
    let streaming: () => void = () => {};
    firstDeltas.push(new Promise((resolve) => (streaming = resolve)));
    turns.push(streamChat(base, MODEL, `${LONG_ASK} ${i}`, { onFirstDelta: () => streaming() }));
  }
  await Promise.all(firstDeltas);

  const stoppedAt = Date.now();
  await stack.nats.stop();
  // The media path is browser ⇄ gateway ⇄ relay ⇄ provider: no NATS on it.
  let spokenDuringOutage = 0;
  await Promise.all(
    sessions.map(async (s, i) => {
      const from = s.events.length;
      s.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `during the outage ${i}` }] } });
      s.send({ type: 'response.create' });
      await eventAfter(s, 'response.output_audio.delta', from, OUTAGE_MS);
      spokenDuringOutage++;
    }),
  );
  t.equal(spokenDuringOutage, SESSIONS, 'every open realtime session answered with audio while NATS was down');
  t.ok(Date.now() - stoppedAt < OUTAGE_MS, 'and did so within the outage');
  const codesDown = await Promise.all(serviceUrls.map(async ({ url }) => (await fetch(`${url}/readyz`)).status));
  t.same(codesDown, serviceUrls.map(() => 503), 'every service says it is not ready while NATS is down');
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
  await stack.nats.start();
  const restartedAt = Date.now();

  await waitFor(
    'every /readyz back to 200',
    async () => ((await Promise.all(serviceUrls.map(async ({ url }) => (await fetch(`${url}/readyz`)).status))).every((c) => c === 200) ? true : undefined),
    { timeoutMs: 30_000 },
  );
  figures.readyAfterRestartMs = Date.now() - restartedAt;
  t.same(await instanceIds(), idsBefore, 'the same service instances are back: none was restarted');

  const hung = Symbol('hung');
  const outcomes = await Promise.all(turns.map((p) => Promise.race([p, sleep(HANG_MS, hung)])));
  const streamed = outcomes.filter((o): o is StreamedTurn => o !== hung);
  t.equal(streamed.length, TURNS, 'no turn stream hung');
  // The streams ride the outage out: the gateway reads the turn again once NATS is back, and
  // llm-text sends again what NATS did not store, so every answer arrives whole on its own stream.
  t.same(
    streamed.map((o) => `${o.end}${o.code ? ` ${o.code}` : ''}`),
    streamed.map(() => 'done'),
    'every stream ended with its done chunk',
  );
  figures.streamsDone = streamed.filter((o) => o.end === 'done').length;
  // Polling (the page's second channel) reads the same turns from the stream.
  const polled = await Promise.all(
    streamed.map((o) => waitFor(`turn ${o.turnId} to end when polled`, async () => ((await turnState(base, o.turnId)).finished ? turnState(base, o.turnId) : undefined), { timeoutMs: 30_000 })),
  );
  figures.turnsFinished = polled.filter((p) => p.last?.type === 'done').length;
  figures.turnsRetryableError = polled.filter((p) => p.last?.type === 'error' && p.last.retryable).length;
  figures.turnsLost = TURNS - figures.turnsFinished - figures.turnsRetryableError;
  t.equal(figures.turnsFinished, TURNS, 'each turn ended done');
  let turnsWithHole = 0;
  for (const [i, o] of streamed.entries()) {
    const chunks = polled[i]?.chunks ?? [];
    const whole = chunks.every((c, n) => c.seq === n + 1) && o.chunks.every((c, n) => c.seq === n + 1);
    if (!whole) turnsWithHole++;
    t.ok(whole, `turn ${o.turnId}: every chunk in place, streamed and polled`);
    t.equal(answerOf(o.chunks), answerOf(chunks), 'what was streamed is what is stored');
  }
  figures.turnsWithLostChunks = turnsWithHole;
  // llm-text says in each turn's last log line how many chunks it had to send again.
  figures.chunksSentAgain = stack
    .logs('llm-text')
    .filter((line) => line.includes('"turn ended"'))
    .reduce((sum, line) => sum + Number(/"resentChunks":(\d+)/.exec(line)?.[1] ?? 0), 0);
  const kept = await conversation(finishedBefore.conversationId);
  t.equal(kept.turns.length, 1, 'the conversation from before the outage is intact');
  t.equal(kept.turns[0]?.answer, answerOf(finishedBefore.chunks));
  let storedInFlight = 0;
  for (const o of streamed) {
    const stored = (await conversation(o.conversationId)).turns.find((turn) => turn.turnId === o.turnId);
    if (stored?.status === 'done' && stored.answer === answerOf(o.chunks)) storedInFlight++;
  }
  figures.inFlightTurnsStored = storedInFlight;
  t.equal(storedInFlight, TURNS, 'every turn in flight is in its conversation, done, with the answer as streamed');

  t.ok(sessions.every((s) => s.open), 'the realtime sessions are still open after the outage');
  figures.realtimeSessionsKeptOpen = sessions.filter((s) => s.open).length;
  figures.realtimeAnsweredDuringOutage = spokenDuringOutage;
  const after = await streamChat(base, MODEL, 'and after the outage?');
  t.equal(after.end, 'done', 'a new turn after the outage finishes');
  await recordReliability({
    id: 'faults/nats-outage',
    section: 'faults',
    title: 'NATS stopped for 5 s and started again while 6 text turns streamed and 3 realtime sessions talked',
    figures,
    passed: !t.counts.fail,
  });
});
