import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import t from 'tap';
import { since, startSim } from './helpers/sim.js';

const sim = await startSim(t);
const openai = new OpenAI({ apiKey: 'sk-test', baseURL: sim.openaiBase, maxRetries: 0 });
const zhipu = new OpenAI({ apiKey: 'zhipu-test', baseURL: sim.zhipuBase, maxRetries: 0 });
const gemini = new GoogleGenAI({ apiKey: 'gemini-test', httpOptions: { baseUrl: sim.geminiBase } });
const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };
t.beforeEach(() => sim.reset());

/** Reads a stream to its end or its error, counting content tokens on the way. */
async function drain(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  let tokens = 0;
  try {
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) tokens += 1;
    return { tokens, error: undefined };
  } catch (error) {
    return { tokens, error };
  }
}

t.test('rate_limit: a 429 whose Retry-After the SDK sees, and waits for when it retries', async (t) => {
  await sim.fault({ provider: 'openai', kind: 'rate_limit', retryAfterSeconds: 7 });
  const refused = await openai.chat.completions.create(ask).catch((e: unknown) => e);
  t.type(refused, OpenAI.RateLimitError);
  t.has(refused, { status: 429, code: 'rate_limit_exceeded', type: 'requests' });
  t.equal(refused instanceof OpenAI.APIError ? refused.headers?.get('retry-after') : undefined, '7');

  // The SDK's own first backoff is under a second, so taking a second or more means it obeyed Retry-After.
  await sim.fault({ provider: 'openai', kind: 'rate_limit', retryAfterSeconds: 1 });
  const start = performance.now();
  const answer = await openai.chat.completions.create(ask, { maxRetries: 1 });
  t.ok(since(start) >= 950, 'the retry waited for Retry-After');
  t.match(answer.choices[0]?.message.content, 'You said: "hello"');
  t.same(
    (await sim.requests('openai')).map((r) => r.fault ?? null),
    ['rate_limit', 'rate_limit', null],
  );
});

t.test('rate_limit in Gemini and Zhipu shapes', async (t) => {
  await sim.fault({ provider: 'gemini', kind: 'rate_limit', retryAfterSeconds: 2 });
  const error = await gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }).catch((e: unknown) => e);
  t.match(error, { name: 'ApiError', status: 429, message: /RESOURCE_EXHAUSTED/ });
  t.match(error, { message: /"retryDelay":"2s"/ });
  await sim.fault({ provider: 'zhipu', kind: 'rate_limit' });
  await t.rejects(zhipu.chat.completions.create({ ...ask, model: 'glm-4-flash' }), { status: 429, message: /^429 /, error: { code: '1302' } });
});

t.test('server_error: a 500 in each provider shape, which the OpenAI SDK retries past', async (t) => {
  await sim.fault({ kind: 'server_error', times: 3 });
  await t.rejects(openai.chat.completions.create(ask), { status: 500, message: /^500 /, type: 'server_error' });
  const geminiError = await gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }).catch((e: unknown) => e);
  t.match(geminiError, { status: 500, message: /INTERNAL/ });
  await t.rejects(zhipu.chat.completions.create({ ...ask, model: 'glm-4-flash' }), { status: 500, message: /^500 /, error: { code: '500' } });

  await sim.fault({ provider: 'openai', kind: 'server_error' });
  const answer = await openai.chat.completions.create(ask, { maxRetries: 1 });
  t.match(answer.choices[0]?.message.content, 'Simulated answer');
});

t.test('stall_before_first_token: headers arrive, then silence for delayMs before the answer', async (t) => {
  await sim.fault({ kind: 'stall_before_first_token', delayMs: 300 });
  const start = performance.now();
  const stream = await openai.chat.completions.create({ ...ask, stream: true });
  let firstTokenMs: number | undefined;
  let text = '';
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta.content;
    if (content) {
      firstTokenMs ??= since(start);
      text += content;
    }
  }
  t.ok((firstTokenMs ?? 0) >= 290, 'the first token came after the stall');
  t.match(text, 'You said: "hello"', 'the whole answer followed');
});

t.test('an endless stall is only ended by the client: watchdogs and SDK timeouts fire', async (t) => {
  await sim.fault({ provider: 'openai', kind: 'stall_before_first_token', times: 2 });
  const watchdog = new AbortController();
  const stream = await openai.chat.completions.create({ ...ask, stream: true }, { signal: watchdog.signal });
  setTimeout(() => watchdog.abort(), 200);
  const streamed = await drain(stream);
  t.equal(streamed.tokens, 0, 'nothing came before the client gave up');

  const timedOut = await openai.chat.completions.create(ask, { timeout: 200 }).catch((e: unknown) => e);
  t.type(timedOut, OpenAI.APIConnectionTimeoutError, 'the SDK timeout covers a stalled unstreamed answer');
  const answer = await openai.chat.completions.create(ask);
  t.match(answer.choices[0]?.message.content, 'Simulated answer', 'the next request is answered normally');
});

t.test('disconnect_mid_stream: the socket is cut after afterTokens tokens, with no finish', async (t) => {
  await sim.fault({ provider: 'openai', kind: 'disconnect_mid_stream', afterTokens: 5 });
  const streamed = await drain(await openai.chat.completions.create({ ...ask, stream: true }));
  t.equal(streamed.tokens, 5);
  t.ok(streamed.error instanceof Error, 'the SDK reports the broken stream');

  await sim.fault({ provider: 'gemini', kind: 'disconnect_mid_stream', afterTokens: 3 });
  let chunks = 0;
  const geminiError = await (async () => {
    for await (const _chunk of await gemini.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })) chunks += 1;
  })().catch((e: unknown) => e);
  t.equal(chunks, 3);
  t.ok(geminiError instanceof Error, 'the Gemini SDK reports the broken stream');
});

t.test('disconnect_mid_stream on an unstreamed request drops the connection; the SDK retries it', async (t) => {
  await sim.fault({ provider: 'openai', kind: 'disconnect_mid_stream' });
  const answer = await openai.chat.completions.create(ask, { maxRetries: 1 });
  t.match(answer.choices[0]?.message.content, 'You said: "hello"');
  t.same(
    (await sim.requests('openai')).map((r) => r.fault ?? null),
    ['disconnect_mid_stream', null],
  );
});

t.test('slow_tokens: each token waits delayMs, for the next `times` requests only', async (t) => {
  await sim.fault({ kind: 'slow_tokens', delayMs: 40, times: 2 });
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    const streamed = await drain(await openai.chat.completions.create({ ...ask, stream: true, max_tokens: 10 }));
    t.equal(streamed.tokens, 10);
    t.ok(since(start) >= 380, `request ${i + 1} was paced`);
  }
  await openai.chat.completions.create(ask);
  t.same(
    (await sim.requests()).map((r) => r.fault ?? null),
    ['slow_tokens', 'slow_tokens', null],
  );
});

t.test('faults match only their provider and model', async (t) => {
  await sim.fault({ provider: 'gemini', kind: 'server_error' });
  await sim.fault({ provider: 'openai', model: 'gpt-4o', kind: 'server_error' });
  t.match((await openai.chat.completions.create(ask)).choices[0]?.message.content, 'Simulated answer', 'gpt-4o-mini is untouched');
  await t.rejects(openai.chat.completions.create({ ...ask, model: 'gpt-4o' }), { status: 500, message: /^500 / });
  await t.rejects(gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }));
  const left = (await (await fetch(`${sim.url}/_sim/faults`)).json()) as { faults: unknown[] };
  t.same(left.faults, [], 'both faults were used up');
});
