import { connect, JSONCodec } from 'nats';
import t from 'tap';
import { Subjects, type TurnChunk } from '@voxgate/protocol';
import { createLogger, ensureJetStream } from '@voxgate/service-kit';
import { startNatsServer } from '../../../test/helpers/nats-server.js';
import { TurnFeed, type TurnCallback, type TurnListener } from '../src/turn-feed.js';
import { TurnReader } from '../src/turn-reader.js';

// The seam between the live subscription and the catch-up from the stream, against a real NATS.
const nats = await startNatsServer();
t.teardown(() => nats.dispose());
const nc = await connect({ servers: nats.url });
t.teardown(() => nc.close());
await ensureJetStream(nc);
const js = nc.jetstream();
const feed = await TurnFeed.open(nc);
t.teardown(() => feed.close());
const json = JSONCodec();
const log = createLogger('turn-reader-test', 'silent');

let turns = 0;
const newTurn = () => `seam_${process.pid}_${++turns}`;
const chunk = (seq: number, last: number): TurnChunk =>
  seq === 1 ? { seq, type: 'start', model: 'm', conversationId: 'c' } : seq === last ? { seq, type: 'done', finishReason: 'stop' } : { seq, type: 'delta', text: `t${seq} ` };
/** Publishes chunk `seq` of a turn of `last` chunks, and one of another turn, so the stream interleaves them. */
const publish = (turnId: string, seq: number, last: number) =>
  Promise.all([
    js.publish(Subjects.turn(turnId), json.encode(chunk(seq, last)), { msgID: `${turnId}:${seq}` }),
    js.publish(Subjects.turn(`${turnId}_other`), json.encode(chunk(seq, last + 1)), { msgID: `${turnId}_other:${seq}` }),
  ]);
const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Follows a turn, collecting the seq of every chunk handed on. */
async function follow(reader: TurnReader, turnId: string, afterSeq: number, idleMs = 5_000) {
  const got: number[] = [];
  const end = await reader.follow(turnId, afterSeq, { signal: new AbortController().signal, idleMs, onChunk: (c) => void got.push(c.seq) });
  return { end, got };
}

/** A reader whose live subscription misses the chunks `drop` names, as a reconnect or a race would. */
class LossyReader extends TurnReader {
  constructor(private readonly drop: Set<number>) {
    super(nc, feed, log);
  }
  override subscribe(turnId: string, callback: TurnCallback): TurnListener {
    return super.subscribe(turnId, (error, msg) => {
      const seq = (json.decode(msg.data) as TurnChunk).seq;
      if (!this.drop.has(seq)) callback(error, msg);
    });
  }
}

for (const [stored, after] of [
  [1, 0],
  [6, 0],
  [6, 3],
  [40, 0],
  [40, 37],
] as const) {
  t.test(`joining after ${stored} stored chunks (resuming after ${after}): every later chunk once, in order`, async (t) => {
    const turnId = newTurn();
    const last = 60;
    for (let seq = 1; seq <= stored; seq++) await publish(turnId, seq, last);
    const reader = new TurnReader(nc, feed, log);
    const following = follow(reader, turnId, after);
    // The rest is published while the follower subscribes and catches up, without waiting for acks.
    const rest: Promise<unknown>[] = [];
    for (let seq = stored + 1; seq <= last; seq++) {
      rest.push(publish(turnId, seq, last));
      if (seq % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(rest);
    const { end, got } = await following;
    t.equal(end, 'finished');
    t.same(got, seqs(after + 1, last));
  });
}

t.test('live chunks missed by the subscription are read from the stream, the final one too', async (t) => {
  const turnId = newTurn();
  const last = 20;
  await publish(turnId, 1, last);
  const following = follow(new LossyReader(new Set([5, 6, 12, last])), turnId, 0);
  for (let seq = 2; seq <= last; seq++) {
    await publish(turnId, seq, last);
    await new Promise((r) => setTimeout(r, 2));
  }
  const { end, got } = await following;
  t.equal(end, 'finished');
  t.same(got, seqs(1, last));
});

t.test('a turn watched from before its start arrives whole, the chunks its subscription missed read from the stream', async (t) => {
  const turnId = newTurn();
  const last = 30;
  // The first, a middle and the final chunk never arrive live: a gap or the quiet end sends it to the stream.
  const watch = new LossyReader(new Set([1, 9, last])).watch(turnId);
  const started = publish(turnId, 1, last);
  const got: number[] = [];
  const following = watch.follow({ signal: new AbortController().signal, idleMs: 5_000, onChunk: (c) => void got.push(c.seq) });
  await started;
  for (let seq = 2; seq <= last; seq++) {
    await publish(turnId, seq, last);
    if (seq % 5 === 0) await new Promise((r) => setTimeout(r, 2));
  }
  t.equal(await following, 'finished');
  t.same(got, seqs(1, last));
});

t.test('a watch closed after a refused start delivers nothing and ends its subscription', async (t) => {
  const turnId = newTurn();
  let live = 0;
  let opened: TurnListener | undefined;
  const reader = new (class extends TurnReader {
    override subscribe(id: string, callback: TurnCallback): TurnListener {
      opened = super.subscribe(id, (error, msg) => {
        live++;
        callback(error, msg);
      });
      return opened;
    }
  })(nc, feed, log);
  reader.watch(turnId).close();
  await publish(turnId, 1, 3);
  await nc.flush();
  t.equal(live, 0, 'nothing reached it');
  t.ok(opened?.isClosed(), 'the subscription is closed');
});

t.test('resuming after the final chunk ends at once with nothing; a silent turn ends idle', async (t) => {
  const turnId = newTurn();
  for (let seq = 1; seq <= 3; seq++) await publish(turnId, seq, 3);
  t.same(await follow(new TurnReader(nc, feed, log), turnId, 3), { end: 'finished', got: [] });
  const silent = newTurn();
  await publish(silent, 1, 9);
  t.same(await follow(new TurnReader(nc, feed, log), silent, 0, 300), { end: 'idle', got: [1] });
});

t.test('polling reads short and long stretches alike', async (t) => {
  const turnId = newTurn();
  const last = 50;
  for (let seq = 1; seq <= last; seq++) await publish(turnId, seq, last);
  const reader = new TurnReader(nc, feed, log);
  for (const [after, limit] of [
    [0, 1_000],
    [45, 1_000],
    [48, 1_000],
    [10, 5],
    [10, 30],
  ] as const) {
    const read = await reader.read(turnId, after, limit);
    const to = Math.min(last, after + limit);
    t.same(read?.chunks.map((c) => c.seq), seqs(after + 1, to), `after ${after}, at most ${limit}`);
    t.equal(read?.finished, to === last);
  }
  t.equal(await reader.read(newTurn(), 0), undefined, 'an unknown turn');
});

// llm-text sends a chunk again when NATS failed to store it, so it can be stored behind later ones.
t.test('a chunk stored behind later ones is handed on in order, waited for past the first half second', async (t) => {
  const turnId = newTurn();
  const last = 8;
  for (const seq of [1, 2, 3, 5, 6, 7]) await publish(turnId, seq, last);
  const reader = new TurnReader(nc, feed, log);
  const following = follow(reader, turnId, 0);
  await new Promise((r) => setTimeout(r, 1_500));
  t.same((await reader.read(turnId, 0))?.chunks.map((c) => c.seq), [1, 2, 3], 'a poll meanwhile gets the unbroken run only');
  await publish(turnId, 4, last);
  t.same((await reader.read(turnId, 0))?.chunks.map((c) => c.seq), seqs(1, 7), 'once it is stored, everything up to the newest, in order');
  await publish(turnId, last, last);
  const { end, got } = await following;
  t.equal(end, 'finished');
  t.same(got, seqs(1, last), 'the follower waited for it and handed on every chunk once');
  for (const [after, limit] of [
    [0, 1_000],
    [3, 1_000],
    [2, 3],
  ] as const) {
    const read = await reader.read(turnId, after, limit);
    t.same(read?.chunks.map((c) => c.seq), seqs(after + 1, Math.min(last, after + limit)), `a poll after ${after}, at most ${limit}`);
  }
});

t.test('a chunk never stored is given up once the final one is: the rest is handed on, and polls return it', async (t) => {
  const turnId = newTurn();
  const last = 6;
  for (const seq of [1, 2, 4, 5, 6]) await publish(turnId, seq, last);
  const reader = new TurnReader(nc, feed, log);
  t.same(await follow(reader, turnId, 0), { end: 'finished', got: [1, 2, 4, 5, 6] });
  const read = await reader.read(turnId, 0);
  t.same(read?.chunks.map((c) => c.seq), [1, 2, 4, 5, 6]);
  t.equal(read?.finished, true);
});

t.test('a follower rides out NATS going away and coming back, and delivers the rest', async (t) => {
  const turnId = newTurn();
  const last = 6;
  for (let seq = 1; seq <= 3; seq++) await publish(turnId, seq, last);
  const following = follow(new TurnReader(nc, feed, log), turnId, 0, 30_000);
  await new Promise((r) => setTimeout(r, 300));
  await nats.stop();
  // Longer than a JetStream request waits (5 s), so the follower's quiet-turn rechecks fail meanwhile.
  await new Promise((r) => setTimeout(r, 6_000));
  await nats.start();
  for await (const status of nc.status()) if (status.type === 'reconnect') break;
  for (let seq = 4; seq <= last; seq++) await publish(turnId, seq, last);
  t.same(await following, { end: 'finished', got: seqs(1, last) });
});
