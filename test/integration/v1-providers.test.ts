import OpenAI from 'openai';
import t from 'tap';
import type { RequestRecord } from '@voxgate/provider-sim';
import { CLIENT_LIMITS_OFF } from '../helpers/limits.js';
import { startStack } from '../helpers/stack.js';

type ApiError = InstanceType<typeof OpenAI.APIError>;

// The official openai SDK, with its default retries, against /v1 in front of the real llm-text
// and the provider simulator: what a program sees of each provider through the gateway.
const stack = await startStack({ env: CLIENT_LIMITS_OFF });
t.teardown(() => stack.stop());
const client = new OpenAI({ baseURL: `${stack.gatewayUrl}/v1`, apiKey: 'unused' });
const noRetries = client.withOptions({ maxRetries: 0 });

const sim = (path: string, init?: RequestInit) => fetch(`${stack.simulatorUrl}/_sim${path}`, init);
/** The chat requests the simulator got for `model` since the last `forget()`. */
async function received(model: string): Promise<RequestRecord[]> {
  const { requests } = (await (await sim('/requests')).json()) as { requests: RequestRecord[] };
  return requests.filter((r) => r.model === model && r.method === 'POST');
}
const forget = () => sim('/requests', { method: 'DELETE' });
const fault = (body: Record<string, unknown>) => sim('/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const failure = (call: () => Promise<unknown>) => call().then(
  () => undefined,
  (error: unknown) => error as ApiError,
);
const ask = (text: string) => [{ role: 'user' as const, content: text }];

for (const model of ['gpt-4o-mini', 'gemini-2.5-flash']) {
  t.test(`${model}: stop, top_p, seed and penalties reach the provider in its terms, and stop cuts the answer`, async (t) => {
    await forget();
    const completion = await client.chat.completions.create({
      model,
      messages: ask('hello'),
      stop: ['received'],
      top_p: 0.5,
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
    });
    const content = completion.choices[0]?.message.content ?? '';
    t.match(content, /^Simulated answer from /);
    t.notOk(content.includes('received'), 'the answer ends before the stop sequence, which it leaves out');
    t.equal(completion.choices[0]?.finish_reason, 'stop');
    t.same((await received(model))[0]?.sampling, { stop: ['received'], topP: 0.5, seed: 7, presencePenalty: 0.5, frequencyPenalty: 0.25 });
  });

  t.test(`${model}: JSON mode and a JSON schema give an answer that parses`, async (t) => {
    await forget();
    const asObject = await client.chat.completions.create({ model, messages: ask('Answer in JSON.'), response_format: { type: 'json_object' } });
    t.equal((JSON.parse(asObject.choices[0]?.message.content ?? '') as { model?: string }).model, model);
    const bySchema = await client.chat.completions.create({
      model,
      messages: ask('Answer by the schema.'),
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema: { type: 'object', properties: { model: { type: 'string' } } }, strict: true } },
    });
    t.equal((JSON.parse(bySchema.choices[0]?.message.content ?? '') as { model?: string }).model, model);
    t.same((await received(model)).map((r) => r.sampling?.responseFormat), ['json_object', 'json_schema']);
  });
}

t.test('an option the provider does not take is refused by name before anything is asked of it', async (t) => {
  await forget();
  const refused = await failure(() => client.chat.completions.create({ model: 'glm-4-flash', messages: ask('hi'), seed: 3, presence_penalty: 1 }));
  t.ok(refused instanceof OpenAI.BadRequestError);
  t.has(refused?.error, { code: 'unsupported_option', type: 'invalid_request_error' });
  t.match(refused?.message, /glm-4-flash \(zhipu\) does not take seed, presencePenalty/);
  t.same(await received('glm-4-flash'), [], 'the provider was not asked');
  const taken = await client.chat.completions.create({ model: 'glm-4-flash', messages: ask('hi'), stop: ['received'], top_p: 0.9 });
  t.notOk(taken.choices[0]?.message.content?.includes('received'));
  t.same((await received('glm-4-flash'))[0]?.sampling, { stop: ['received'], topP: 0.9 });
});

t.test("a request names no length: the provider's own limit; one that does: it is passed on and cuts the answer", async (t) => {
  await forget();
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask('hi') });
  const short = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask('hi'), max_tokens: 3 });
  t.same(
    (await received('gpt-4o-mini')).map((r) => r.maxTokens),
    [undefined, 3],
  );
  t.equal(short.choices[0]?.finish_reason, 'length');
});

t.test("the provider finding the request wrong is a 400, as from OpenAI: not retried, streamed or not", async (t) => {
  await forget();
  // OpenAI refuses JSON mode when the messages never say "JSON"; so does the simulator.
  const asked = { model: 'gpt-4o-mini', messages: ask('hello'), response_format: { type: 'json_object' as const } };
  const refused = await failure(() => client.chat.completions.create(asked));
  t.ok(refused instanceof OpenAI.BadRequestError, `BadRequestError, got ${refused?.constructor.name} ${refused?.status}`);
  t.has(refused?.error, { code: 'upstream_rejected', type: 'invalid_request_error', param: null });
  t.match(refused?.message, /must contain the word 'json'/, "the provider's own words");
  const streamed = await failure(() => client.chat.completions.create({ ...asked, stream: true }));
  t.ok(streamed instanceof OpenAI.BadRequestError, 'a streamed request is refused with its status before any stream');
  // Refused while being read, the records name no model: counted by path.
  const { requests } = (await (await sim('/requests')).json()) as { requests: RequestRecord[] };
  t.equal(requests.filter((r) => r.path.endsWith('/chat/completions')).length, 2, 'each asked of the provider once, though the SDK retries 5xx');
});

t.test("the provider refusing this server's key is a 502 for the operator, not the caller's 400", async (t) => {
  await fault({ provider: 'openai', kind: 'invalid_key' });
  const refused = await failure(() => noRetries.chat.completions.create({ model: 'gpt-4o-mini', messages: ask('hi') }));
  t.equal(refused?.status, 502);
  t.has(refused?.error, { code: 'upstream_unauthorized', type: 'api_error' });
  t.notOk(refused?.message.includes(stack.env.OPENAI_API_KEY ?? 'no key'), 'the key is not quoted back');
});

for (const model of ['gpt-4o-mini', 'gemini-2.5-flash', 'glm-4-flash']) {
  t.test(`${model}: an answer the provider withholds ends with content_filter`, async (t) => {
    const plain = await client.chat.completions.create({ model, messages: ask('[sim:filter] say something') });
    t.equal(plain.choices[0]?.finish_reason, 'content_filter');
    const stream = await client.chat.completions.create({ model, messages: ask('[sim:filter] say something'), stream: true });
    const reasons: (string | null)[] = [];
    for await (const chunk of stream) reasons.push(chunk.choices[0]?.finish_reason ?? null);
    t.equal(reasons.at(-1), 'content_filter');
  });
}

t.test('function calling, log-probabilities and spoken output are refused by name; their empty forms are not', async (t) => {
  const tool = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };
  for (const [what, extra] of [
    ['tools', { tools: [tool] }],
    ['logprobs', { logprobs: true }],
    ['modalities', { modalities: ['text', 'audio'] }],
  ] as const) {
    const refused = await failure(() => client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask('hi'), ...extra } as never));
    t.ok(refused instanceof OpenAI.BadRequestError, what);
    t.has(refused?.error, { code: 'unsupported_parameter' });
    t.match(refused?.message, new RegExp(`'${what}'`));
  }
  const toolResult = await failure(() =>
    client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '{}' },
      ],
    }),
  );
  t.has(toolResult?.error, { code: 'unsupported_parameter' }, 'a tool result in the history');
  const harmless = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask('hi'), tools: [], logprobs: false, modalities: ['text'] });
  t.equal(harmless.object, 'chat.completion');
});

t.test('a history with an empty assistant or system turn is answered', async (t) => {
  const completion = await client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [
      { role: 'system', content: '' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'second' },
    ],
  });
  t.match(completion.choices[0]?.message.content, /You said: "second"/);
});

t.test("an unknown model and an unknown route answer in OpenAI's shape, with the request id to quote", async (t) => {
  const unknown = await failure(() => client.chat.completions.create({ model: 'no-such-model', messages: ask('hi') }));
  t.ok(unknown instanceof OpenAI.NotFoundError);
  t.has(unknown?.error, { code: 'model_not_found', type: 'not_found_error', param: null });
  t.ok(unknown?.requestID, 'x-request-id came with it');
  const route = await fetch(`${stack.gatewayUrl}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(route.status, 404);
  t.has(await route.json(), { error: { code: 'not_found', type: 'not_found_error', param: null } });
  t.ok(route.headers.get('x-request-id'));
});
