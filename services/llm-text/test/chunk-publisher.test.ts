import { setTimeout as sleep } from 'node:timers/promises';
import { connect, JSONCodec } from 'nats';
import t, { type Test } from 'tap';
import { createParser, JetStreamNames, Subjects, TurnChunk } from '@voxgate/protocol';
import { ensureJetStream } from '@voxgate/service-kit';
import { startNatsServer } from '../../../test/helpers/nats-server.js';
import { AckedPublish } from '../src/acked-publish.js';
import { ChunkPublisher } from '../src/chunk-publisher.js';
import { newTurnId } from './helpers/harness.js';

// What a turn leaves in JetStream when NATS goes away in the middle of it, against a real nats-server.
const nats = await startNatsServer();
t.teardown(() => nats.dispose());
const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
t.teardown(() => nc.close());
await ensureJetStream(nc);
const acked = new AckedPublish(nc);
t.teardown(() => acked.close());
const parseChunk = createParser(TurnChunk);
const json = JSONCodec();

/** The turn's chunks in the order the stream holds them. */
async function stored(turnId: string): Promise<TurnChunk[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(JetStreamNames.turnsStream);
  const chunks: TurnChunk[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(JetStreamNames.turnsStream, { seq }).catch(() => undefined);
    if (m?.subject !== Subjects.turn(turnId)) continue;
    const parsed = parseChunk.parse(json.decode(m.data));
    if (parsed.ok) chunks.push(parsed.value);
  }
  return chunks;
}

/** Resolves once the client is connected again (a PING answered). */
async function reconnected(): Promise<void> {
  for (;;) {
    try {
      await nc.flush();
      return;
    } catch {
      await sleep(50);
    }
  }
}

/**
 * Checks what a turn left in the stream: every seq once (repeats dropped), the answer `text`, and
 * the final chunk stored once, behind every other: readers take it as the sign that every chunk
 * that will ever be stored is.
 */
function assertWhole(t: Test, chunks: TurnChunk[], text: string): void {
  const bySeq = [...new Map(chunks.map((c) => [c.seq, c])).values()].sort((a, b) => a.seq - b.seq);
  t.same(
    bySeq.map((c) => c.seq),
    Array.from({ length: bySeq.length }, (_, i) => i + 1),
    'every chunk is stored, none missing',
  );
  t.equal(bySeq.flatMap((c) => (c.type === 'delta' ? [c.text] : [])).join(''), text, 'the answer is whole');
  const firstFinal = chunks.findIndex((c) => c.type === 'done');
  t.same(chunks.slice(firstFinal).map((c) => c.type), ['done'], 'the final chunk is stored once, after every other chunk');
}

t.test('chunks NATS could not store are sent again once it is back: the turn ends done, whole, its final chunk last', async (t) => {
  const [wholeTurn, hurriedTurn] = [newTurnId(), newTurnId()];
  const whole = new ChunkPublisher(acked, wholeTurn);
  const hurried = new ChunkPublisher(acked, hurriedTurn);
  for (const publisher of [whole, hurried]) {
    await publisher.publish({ type: 'start', model: 'm', conversationId: 'c' });
    publisher.delta('before ');
  }
  await sleep(50);
  await nats.stop();
  for (const publisher of [whole, hurried]) {
    publisher.delta('during ');
    publisher.flush();
  }
  // At shutdown a turn gives its unstored chunks a little more time, not the whole window.
  hurried.hurry(1_000);
  // Longer than an ack is waited for (5 s): the publishes made meanwhile fail, and are sent again.
  await sleep(6_000);
  await nats.start();
  await reconnected();
  for (const publisher of [whole, hurried]) publisher.delta('after');
  await Promise.all([whole.end({ type: 'done', finishReason: 'stop' }), hurried.end({ type: 'done', finishReason: 'stop' })]);

  assertWhole(t, await stored(wholeTurn), 'before during after');
  t.equal(whole.failure, undefined, 'no failure is left');
  t.ok(whole.resent >= 1, `chunks were sent again (${whole.resent})`);

  const hurriedChunks = await stored(hurriedTurn);
  t.has(hurriedChunks.at(-1), { type: 'error', code: 'chunks_lost', retryable: true }, 'a hurried turn gives up and says so instead of done');
  t.not(hurried.failure, undefined, 'and keeps the failure for its log');
});

t.test('a turn that ends just after a short drop waits for what it sent meanwhile: whole, its final chunk last', async (t) => {
  const turnId = newTurnId();
  const publisher = new ChunkPublisher(acked, turnId);
  await publisher.publish({ type: 'start', model: 'm', conversationId: 'c' });
  publisher.delta('before ');
  await nats.stop();
  for (const text of ['during ', 'the ', 'drop ']) {
    publisher.delta(text);
    publisher.flush();
  }
  await sleep(500);
  await nats.start();
  await reconnected();
  publisher.delta('after');
  // What was buffered during the drop reaches a JetStream that may not be back yet; the final chunk must not overtake it.
  await publisher.end({ type: 'done', finishReason: 'stop' });
  assertWhole(t, await stored(turnId), 'before during the drop after');
});
