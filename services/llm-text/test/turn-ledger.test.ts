import t from 'tap';
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
