import t from 'tap';
import { Subjects } from '@voxgate/protocol';
import { newTurnId, startHarness } from './helpers/harness.js';

const h = await startHarness();
t.teardown(() => h.close());

t.test('a turn is listed in the ledger under its owner while it runs and taken off when it ends', async (t) => {
  const turnId = newTurnId();
  const kv = await h.nc.jetstream().views.kv('llm-text-turns');
  const seen: { operation: string; owner?: unknown }[] = [];
  const watch = await kv.watch({ key: turnId });
  const watching = (async () => {
    for await (const entry of watch) {
      seen.push(entry.operation === 'PUT' ? { operation: 'PUT', owner: (entry.json() as { owner?: unknown }).owner } : { operation: entry.operation });
      if (entry.operation !== 'PUT') return;
    }
  })();
  await h.start({ turnId, model: 'gpt-4o-mini', mode: 'stateless', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
  t.has((await h.chunks(turnId)).at(-1), { type: 'done' });
  // The entry is taken off just after the final chunk is stored.
  const timer = setTimeout(() => watch.stop(), 5_000);
  await watching;
  clearTimeout(timer);
  t.match(seen, [{ operation: 'PUT', owner: String }, { operation: 'DEL' }]);
});

t.test("a dead owner's turn whose last stored chunk was sent again ends after its highest chunk, not on top of one", async (t) => {
  const turnId = newTurnId();
  const js = h.nc.jetstream();
  const kv = await js.views.kv('llm-text-turns');
  const subject = Subjects.turn(turnId);
  // Chunk 3 failed to be stored at first and was sent again behind 4, then its owner vanished.
  for (const chunk of [
    { seq: 1, type: 'start', model: 'gpt-4o-mini', conversationId: 'c_orphaned' },
    { seq: 2, type: 'delta', text: 'one ' },
    { seq: 4, type: 'delta', text: 'three ' },
    { seq: 3, type: 'delta', text: 'two ' },
  ]) {
    await js.publish(subject, JSON.stringify(chunk), { msgID: `${turnId}:${chunk.seq}` });
  }
  await kv.put(turnId, JSON.stringify({ owner: 'an-instance-that-is-gone' }));
  const chunks = await h.chunks(turnId, { timeoutMs: 20_000 });
  t.has(chunks.at(-1), { seq: 5, type: 'error', code: 'turn_lost', retryable: true });
  t.same(
    chunks.map((c) => c.seq),
    [1, 2, 4, 3, 5],
  );
});
