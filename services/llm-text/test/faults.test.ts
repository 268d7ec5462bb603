import t from 'tap';
import { Conversation, createParser, Subjects } from '@voxgate/protocol';
import { startHarness, textOf } from './helpers/harness.js';

const h = await startHarness({
  env: { UPSTREAM_ATTEMPT_TIMEOUT_MS: '800', UPSTREAM_MAX_RETRIES: '2', UPSTREAM_RETRY_BASE_MS: '50' },
});
t.teardown(() => h.close());

const parseConversation = createParser(Conversation);
const say = (text: string) => [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }];
const ask = async (model: string, mode: 'stateless' | 'conversation' = 'stateless') => {
  const started = await h.start({ model, mode, messages: say('Tell me something'), maxOutputTokens: 40 });
  return { started, chunks: await h.chunks(started.turnId) };
};

t.beforeEach(() => h.sim.reset());

t.test('a 429 with Retry-After is waited out and retried, and the user sees only the answer', async (t) => {
  await h.sim.fault({ provider: 'openai', kind: 'rate_limit', retryAfterSeconds: 1, times: 1 });
  const { chunks } = await ask('gpt-4o-mini');
  t.has(chunks.at(-1), { type: 'done' });
  t.match(textOf(chunks), /^Simulated answer from gpt-4o-mini/);
  t.same((await h.sim.requests('openai')).map((r) => r.fault ?? 'none'), ['rate_limit', 'none'], 'one refused attempt, one answered');
  t.ok(h.logs().some((l) => l.includes('retrying') && l.includes('"waitMs":1000')), 'the wait followed Retry-After');
});

t.test('a storm of 500s ends in upstream_unavailable after the bounded retries', async (t) => {
  await h.sim.fault({ provider: 'gemini', kind: 'server_error', times: 5 });
  const { chunks } = await ask('gemini-2.5-flash');
  t.has(chunks.at(-1), { type: 'error', code: 'upstream_unavailable', retryable: true });
  t.notOk(chunks.some((c) => c.type === 'delta'));
  t.equal((await h.sim.requests('gemini')).length, 3, 'first attempt plus two retries');
});

t.test('a provider that stalls before the first token ends in upstream_timeout', async (t) => {
  await h.sim.fault({ provider: 'zhipu', kind: 'stall_before_first_token', times: 3 });
  const { chunks } = await ask('glm-4-flash');
  t.match(chunks.at(-1), { type: /^error$/, code: 'upstream_timeout', message: /nothing within 800 ms/ });
  t.equal((await h.sim.requests('zhipu')).length, 3);
});

t.test('a request the provider refuses (4xx) is not retried and says why, without any key', async (t) => {
  const id = await h.attach('image', 'image/png', Buffer.from('not really a png at all'));
  const started = await h.start({
    model: 'gpt-4o-mini',
    mode: 'stateless',
    messages: [{ role: 'user', content: [{ type: 'image', attachmentId: id }] }],
  });
  const chunks = await h.chunks(started.turnId);
  t.match(chunks.at(-1), { type: /^error$/, code: 'upstream_rejected', retryable: false, message: /HTTP 400\): \S/ });
  t.equal((await h.sim.requests('openai')).length, 1, 'not retried');
  t.notOk(JSON.stringify(chunks).includes('sim-openai-key'), 'no key in the chunks');
  t.notOk(h.logs().some((l) => l.includes('sim-openai-key')), 'no key in the logs');
});

t.test('a disconnect mid-stream ends the turn as failed with the partial answer kept in history', async (t) => {
  await h.sim.fault({ provider: 'openai', kind: 'disconnect_mid_stream', afterTokens: 5, times: 1 });
  const { started, chunks } = await ask('gpt-4o-mini', 'conversation');
  const final = chunks.at(-1);
  t.match(final, { type: /^error$/, code: 'upstream_unavailable', message: /broke off/ });
  const partial = textOf(chunks);
  t.ok(partial.length > 0, 'some text arrived before the break');
  t.match('Simulated answer from gpt-4o-mini', new RegExp(`^${partial.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'it is the start of the answer');
  t.equal((await h.sim.requests('openai')).length, 1, 'not retried once text was shown');
  const conversation = await h.request(Subjects.conversations.get, { id: started.conversationId }, parseConversation);
  t.has(conversation.turns, [{ status: 'failed', answer: partial, error: { code: 'upstream_unavailable' } }]);
});

t.test('stop mid-stream aborts the provider request and keeps the partial answer', async (t) => {
  await h.sim.fault({ provider: 'openai', kind: 'slow_tokens', delayMs: 100, times: 1 });
  const started = await h.start({ model: 'gpt-4o-mini', mode: 'conversation', messages: say('Go slowly'), maxOutputTokens: 200 });
  let stopped: Promise<unknown> | undefined;
  const chunks = await h.chunks(started.turnId, {
    onChunk: (chunk) => {
      if (chunk.type === 'delta') stopped ??= h.stop(started.turnId);
    },
  });
  t.same(await stopped, { stopped: true }, 'the replica running the turn answered');
  t.has(chunks.at(-1), { type: 'done', finishReason: 'stopped' });
  const partial = textOf(chunks);
  t.ok(partial.length > 0 && partial.length < 100, 'only the start of the answer arrived');
  const conversation = await h.request(Subjects.conversations.get, { id: started.conversationId }, parseConversation);
  t.has(conversation.turns, [{ status: 'stopped', answer: partial }]);
});
