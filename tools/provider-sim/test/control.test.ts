import OpenAI from 'openai';
import t from 'tap';
import { since, startSim } from './helpers/sim.js';

const sim = await startSim(t, { requestLogLimit: 5 });
const control = (method: string, path: string, body?: string) =>
  fetch(`${sim.url}/_sim${path}`, { method, ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }) });
t.beforeEach(() => sim.reset());

t.test('bad control input is refused with 400 and a reason', async (t) => {
  const cases: [string, RegExp][] = [
    ['{"kind":"rate_limt"}', /kind/],
    ['{"kind":"rate_limit","retryAfter":3}', /retryAfter/],
    ['{"kind":"rate_limit","delayMs":30}', /delayMs does not apply to rate_limit/],
    ['{"kind":"slow_tokens","times":0}', /times/],
    ['{"kind":"server_error","provider":"anthropic"}', /provider/],
    ['{"kind":', /JSON/i],
  ];
  for (const [body, reason] of cases) {
    const response = await control('POST', '/faults', body);
    t.equal(response.status, 400, body);
    t.match(await response.json(), { code: 'SIM_BAD_REQUEST', message: reason }, body);
  }
  t.equal((await control('GET', '/requests?provider=nobody')).status, 400);
  t.same(((await (await control('GET', '/faults')).json()) as { faults: unknown[] }).faults, [], 'nothing was queued');
});

t.test('queued faults are listed with their remaining uses, and cleared', async (t) => {
  const created = await control('POST', '/faults', JSON.stringify({ provider: 'zhipu', kind: 'disconnect_mid_stream', times: 4 }));
  t.equal(created.status, 201);
  t.match(await created.json(), { fault: { id: Number, provider: 'zhipu', kind: 'disconnect_mid_stream', afterTokens: 3, remaining: 4 } });
  t.has(await (await control('GET', '/faults')).json(), { faults: [{ kind: 'disconnect_mid_stream', remaining: 4 }] });
  t.same(await (await control('DELETE', '/faults')).json(), { cleared: 1 });
});

t.test('the request log is bounded and never holds a key', async (t) => {
  const secret = 'sk-super-secret-value-123';
  const client = new OpenAI({ apiKey: secret, baseURL: sim.openaiBase });
  for (let i = 0; i < 6; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `turn ${i}` }] });
  await fetch(`${sim.geminiBase}/v1beta/models/gemini-2.5-flash:generateContent?key=${secret}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': secret },
    body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
  });
  const response = await control('GET', '/requests');
  const text = await response.text();
  t.notMatch(text, secret);
  const { requests } = JSON.parse(text) as { requests: { seq: number; provider: string; authPresent: boolean }[] };
  t.equal(requests.length, 5, 'only the last five are kept');
  t.same(
    requests.map((r) => r.provider),
    ['openai', 'openai', 'openai', 'openai', 'gemini'],
  );
  t.ok(requests.every((r) => r.authPresent));
  t.ok(requests.every((r, i) => i === 0 || r.seq === (requests[i - 1]?.seq ?? 0) + 1), 'oldest first');
});

t.test('healthz answers without a key', async (t) => {
  const response = await fetch(`${sim.url}/healthz`);
  t.same(await response.json(), { status: 'ok' });
});

t.test('tokenDelayMs paces every stream when set for the whole simulator', async (t) => {
  const slow = await startSim(t, { tokenDelayMs: 30 });
  const client = new OpenAI({ apiKey: 'k', baseURL: slow.openaiBase });
  const start = performance.now();
  const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 6, stream: true });
  let tokens = 0;
  for await (const chunk of stream) if (chunk.choices[0]?.delta.content) tokens += 1;
  t.equal(tokens, 6);
  t.ok(since(start) >= 170, 'six tokens took at least six pauses');
});
