import { Subjects, type TurnChunk } from '@voxgate/protocol';
import { createLogger } from '@voxgate/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { connect, type NatsConnection } from 'nats';
import t from 'tap';
import { utcDay } from '../../services/gateway/src/access/day.js';
import { clientKey, Quotas, totalKey, USAGE_BUCKET } from '../../services/gateway/src/access/quotas.js';
import { SharedCounters } from '../../services/gateway/src/access/shared-counters.js';
import { UsageFeed } from '../../services/gateway/src/access/usage-feed.js';
import { TurnFeed } from '../../services/gateway/src/turn-feed.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/ports.js';

// The daily counters as two gateway replicas share them, against a real nats-server: increments
// gathered in memory and written in batches must add up exactly, survive a NATS restart, and
// each replica must count only the turns it started.

const nats = await startNatsServer();
t.teardown(() => nats.dispose());
const log = createLogger('gateway', 'silent') as unknown as FastifyBaseLogger;
const options = { bucket: USAGE_BUCKET, maxAgeMs: 86_400_000, log };
const connections: NatsConnection[] = [];
const replica = async () => {
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  connections.push(nc);
  return { nc, counters: await SharedCounters.open(nc, options) };
};
t.teardown(async () => {
  for (const nc of connections) await nc.close();
});
const stored = async (nc: NatsConnection, key: string) => Number((await (await nc.jetstream().views.kv(USAGE_BUCKET)).get(key))?.string() ?? 0);
const limits = { RATE_LIMIT_PER_MINUTE: 0, MAX_REALTIME_SESSIONS_PER_CLIENT: 0, CLIENT_DAILY_TOKENS: 100, CLIENT_DAILY_REALTIME_MINUTES: 0, DAILY_TOKEN_BUDGET: 0, DAILY_REALTIME_MINUTES: 0 };

t.test('two replicas adding to the same counters at once: every increment counts, once', async (t) => {
  const a = await replica();
  const b = await replica();
  const key = 'test.race';
  let expected = 0;
  for (let i = 1; i <= 300; i++) {
    a.counters.add(key, i);
    b.counters.add(key, 2 * i);
    expected += 3 * i;
    // Some flushes overlap the adding, as under load.
    if (i % 50 === 0) await Promise.all([a.counters.flush(), b.counters.flush()]);
  }
  t.equal(a.counters.get(key) >= 45_150, true, 'a replica counts its own increments before they are written');
  await Promise.all([a.counters.flush(), b.counters.flush()]);
  t.equal(await stored(a.nc, key), expected, 'the bucket holds the sum of both');
  await waitFor('both replicas to see the sum', async () => (a.counters.get(key) === expected && b.counters.get(key) === expected ? true : undefined));
  t.pass(`both see ${expected}`);
  await a.counters.close();
  await b.counters.close();
});

t.test('increments made while NATS is away are written once it is back; a shutdown writes what is left', async (t) => {
  const a = await replica();
  const key = 'test.outage';
  a.counters.add(key, 5);
  await a.counters.flush();
  await nats.stop();
  a.counters.add(key, 7);
  await a.counters.flush();
  t.equal(a.counters.get(key), 12, 'still counted here while NATS is away');
  await nats.start();
  await waitFor('the increment written after the restart', async () => ((await stored(a.nc, key).catch(() => 0)) === 12 ? true : undefined), { timeoutMs: 30_000 });
  t.pass('the bucket has all 12');
  a.counters.add(key, 1);
  await a.counters.close();
  const b = await replica();
  t.equal(await stored(b.nc, key), 13, 'close wrote the last increment');
  await waitFor('a new replica to see it', async () => (b.counters.get(key) === 13 ? true : undefined));
  await b.counters.close();
});

t.test('each replica counts the turns it started, from the end chunk, and a spent client is refused at once', async (t) => {
  const a = await replica();
  const b = await replica();
  const quotasA = new Quotas(limits, a.counters);
  const quotasB = new Quotas(limits, b.counters);
  const turnsA = await TurnFeed.open(a.nc);
  const turnsB = await TurnFeed.open(b.nc);
  const feedA = new UsageFeed(a.nc, quotasA, turnsA);
  const feedB = new UsageFeed(b.nc, quotasB, turnsB);
  await Promise.all([feedA.start(), feedB.start()]);
  const publish = (turnId: string, chunk: TurnChunk) => a.nc.publish(Subjects.turn(turnId), JSON.stringify(chunk));
  const done = (seq: number, input: number, output: number): TurnChunk => ({ seq, type: 'done', finishReason: 'stop', usage: { inputTokens: input, outputTokens: output } });

  feedA.turn('turn-of-a-0001', 'client-a');
  feedB.turn('turn-of-b-0001', 'client-b');
  t.equal(quotasA.text('client-a'), undefined, 'client a may start a turn');
  publish('turn-of-a-0001', { seq: 1, type: 'start', model: 'm', conversationId: 'conv-0001' });
  publish('turn-of-a-0001', { seq: 2, type: 'delta', text: 'a delta quoting "done" and "error" inside its text' });
  publish('turn-of-a-0001', done(3, 60, 40));
  publish('turn-of-b-0001', done(2, 3, 4));
  publish('turn-of-nobody1', done(2, 1000, 1000));
  // The end can come before the turn is registered (its start's reply and its end in one read).
  publish('turn-of-b-0002', done(2, 10, 0));
  // Once A's publishes are done and B's own round trip is back, B has had every chunk.
  await a.nc.flush();
  await b.nc.flush();
  await waitFor('the ends to reach both replicas', async () => (quotasA.text('client-a') !== undefined ? true : undefined));
  feedB.turn('turn-of-b-0002', 'client-b');
  t.equal(quotasA.text('client-a')?.code, 'client_tokens_spent', 'the replica that started the turn refuses the spent client at once');
  await Promise.all([a.counters.flush(), b.counters.flush()]);
  const day = utcDay(Date.now());
  t.equal(await stored(a.nc, clientKey(day, 'client-a', 'tokens')), 100, 'client a: its one turn');
  t.equal(await stored(a.nc, clientKey(day, 'client-b', 'tokens')), 17, 'client b: its two turns, the early end included');
  t.equal(await stored(a.nc, totalKey(day, 'tokens')), 117, 'the deployment: each turn once, none started elsewhere');
  await waitFor('the other replica to refuse client a too', async () => (quotasB.text('client-a')?.code === 'client_tokens_spent' ? true : undefined));
  t.pass('the other replica refuses client a too');
  feedA.close();
  feedB.close();
  turnsA.close();
  turnsB.close();
  await Promise.all([a.counters.close(), b.counters.close()]);
});
