import OpenAI from 'openai';
import t from 'tap';
import type { TurnChunk, TurnStarted } from '@voxgate/protocol';
import { spawnService } from '../../scripts/lib/stack.js';
import { png } from '../../services/gateway/test/media-fixtures.js';
import { answerText, pollTurn, readSse } from '../../services/gateway/test/sse-client.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';

// The whole chain: gateway → NATS → llm-text → provider simulator, as real processes.
const stack = await startStack();
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;

const chat = (model: string, text: string, accept = 'application/json', signal?: AbortSignal) =>
  fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify({ model, message: { role: 'user', content: [{ type: 'text', text }] } }),
    ...(signal ? { signal } : {}),
  });
const fault = (body: Record<string, unknown>) =>
  fetch(`${stack.simulatorUrl}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const seqs = (chunks: TurnChunk[], from = 1): [number[], number[]] => [chunks.map((c) => c.seq), chunks.map((_, i) => from + i)];

for (const model of ['gpt-4o-mini', 'gemini-2.5-flash', 'glm-4-flash']) {
  t.test(`${model}: streamed over SSE, equal to the polled text`, async (t) => {
    const response = await chat(model, 'hello there');
    t.equal(response.status, 200);
    const started = (await response.json()) as TurnStarted;
    const polled = await pollTurn(base, started.turnId);
    const sse = await fetch(`${base}/api/turns/${started.turnId}/stream`);
    const streamed: TurnChunk[] = [];
    await readSse(sse, (e) => void streamed.push(JSON.parse(e.data) as TurnChunk));
    t.same(...seqs(streamed));
    t.equal(answerText(streamed), answerText(polled));
    t.match(answerText(polled), /hello there/);
    t.equal(polled.at(-1)?.type, 'done');
  });
}

t.test('SSE on POST /api/chat, cut mid-answer with slow tokens, resumed by polling from another replica', async (t) => {
  t.equal((await fault({ provider: 'openai', kind: 'slow_tokens', delayMs: 30 })).status, 201);
  const port = await freePort();
  const second = spawnService('gateway', { label: 'gateway-2', port, env: stack.env, onLine: () => {} });
  t.teardown(() => second.stop());
  const other = `http://127.0.0.1:${port}`;
  await waitFor('second gateway', async () => ((await fetch(`${other}/healthz`)).ok ? true : undefined));

  const abort = new AbortController();
  const response = await chat('gpt-4o-mini', 'cut this answer', 'text/event-stream', abort.signal);
  let turnId = '';
  const received: TurnChunk[] = [];
  await readSse(response, (e) => {
    if (e.event === 'turn') turnId = (JSON.parse(e.data) as TurnStarted).turnId;
    else received.push(JSON.parse(e.data) as TurnChunk);
    return received.length < 5;
  });
  abort.abort();
  const rest = await pollTurn(other, turnId, received.at(-1)?.seq ?? 0, 60_000);
  const all = [...received, ...rest];
  t.same(...seqs(all));
  const full = await pollTurn(base, turnId);
  t.equal(answerText(all), answerText(full), 'identical final text, no gap, no duplicate');
  t.equal(all.at(-1)?.type, 'done');
});

t.test('openai SDK through /v1 against the simulator, with an image', async (t) => {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
  const image = png(64, 32);
  const content: OpenAI.ChatCompletionContentPart[] = [
    { type: 'text', text: 'describe' },
    { type: 'image_url', image_url: { url: `data:image/png;base64,${image.toString('base64')}` } },
  ];
  const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
  t.match(completion.choices[0]?.message.content, /png 64x32/);
  t.ok((completion.usage?.completion_tokens ?? 0) > 0);
  let text = '';
  for await (const chunk of await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content }] })) {
    text += chunk.choices[0]?.delta.content ?? '';
  }
  t.equal(text, completion.choices[0]?.message.content);
});
