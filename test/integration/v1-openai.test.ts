import OpenAI from 'openai';
import t from 'tap';
import { spawnService } from '../../scripts/lib/stack.js';
import { fakeAnswer, startFakeLlmText } from '../../services/gateway/test/fake-llm-text.js';
import { png } from '../../services/gateway/test/media-fixtures.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';

type ApiError = InstanceType<typeof OpenAI.APIError>;

// The official openai SDK against the gateway's /v1, with a stand-in for llm-text's side of the contract.
const stack = await startStack({ services: ['gateway'], simulator: false, waitReady: false });
t.teardown(() => stack.stop());
const fake = await startFakeLlmText(stack.nats.url);
t.teardown(() => fake.close());
await waitFor('gateway up', async () => ((await fetch(`${stack.gatewayUrl}/healthz`)).ok ? true : undefined));
// No API_KEYS: loopback clients only, any key (the SDK insists on one).
const client = new OpenAI({ baseURL: `${stack.gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });

t.test('models: the text models, OpenAI list shape', async (t) => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  t.same(ids.sort(), ['fake-fail', 'fake-fast', 'fake-slow']);
  t.has(await client.models.retrieve('fake-fast'), { id: 'fake-fast', object: 'model' });
});

t.test('not streamed: chat.completion with usage', async (t) => {
  const completion = await client.chat.completions.create({ model: 'fake-fast', messages: [{ role: 'user', content: 'hello' }] });
  t.equal(completion.object, 'chat.completion');
  t.equal(completion.choices[0]?.message.content, fakeAnswer('hello').join(''));
  t.equal(completion.choices[0]?.finish_reason, 'stop');
  t.match(completion.usage, { prompt_tokens: 3, completion_tokens: fakeAnswer('hello').length });
  t.equal(fake.starts.at(-1)?.mode, 'stateless');
});

t.test('streamed with an image, usage chunk when asked', async (t) => {
  const image = png(32, 16);
  const stream = await client.chat.completions.create({
    model: 'fake-slow',
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: 'system', content: 'be brief' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${image.toString('base64')}` } },
        ],
      },
    ],
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  const attachmentUrl = () => {
    const imagePart = fake.starts.at(-1)?.messages[1]?.content[1];
    t.equal(imagePart?.type, 'image');
    return `${stack.gatewayUrl}/api/attachments/${imagePart && 'attachmentId' in imagePart ? imagePart.attachmentId : ''}`;
  };
  let whileRunning: Buffer | undefined;
  for await (const chunk of stream) {
    // The turn has started, so llm-text can read the image: it is stored until the request is done.
    whileRunning ??= Buffer.from(await (await fetch(attachmentUrl())).arrayBuffer());
    chunks.push(chunk);
  }
  t.same(whileRunning, image, 'the image was stored as an attachment, byte for byte, while the turn ran');
  // Nothing shows a /v1 file again once its answer is over: it is deleted with the request.
  await waitFor('the image deleted', async () => ((await fetch(attachmentUrl())).status === 404 ? true : undefined));
  t.same(new Set(chunks.map((c) => c.object)), new Set(['chat.completion.chunk']));
  t.equal(new Set(chunks.map((c) => c.id)).size, 1, 'one id for the whole stream');
  t.equal(chunks[0]?.choices[0]?.delta.role, 'assistant', 'the first chunk carries the role, as OpenAI opens its streams');
  t.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), fakeAnswer('look').join(''));
  const last = chunks.at(-1);
  t.same(last?.choices, [], 'usage comes last, in a chunk without choices');
  t.has(last?.usage, { prompt_tokens: 3, completion_tokens: fakeAnswer('look').length });
  t.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
  t.ok(chunks.slice(0, -1).every((c) => c.usage === null), 'every other chunk says usage: null');
});

t.test('errors in OpenAI shape', async (t) => {
  const unknown = await client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
  t.ok(unknown instanceof OpenAI.NotFoundError);
  t.has((unknown as ApiError).error, { code: 'model_not_found', type: 'not_found_error', param: null });
  const empty = await client.chat.completions.create({ model: 'fake-fast', messages: [{ role: 'user', content: '' }] }).catch((e: unknown) => e);
  t.ok(empty instanceof OpenAI.BadRequestError);
  t.has((empty as ApiError).error, { code: 'empty_message' });
  const failed = await client.chat.completions.create({ model: 'fake-fail', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
  t.match((failed as ApiError).status, 502);
  t.has((failed as ApiError).error, { code: 'upstream_unavailable' });
  // The fake fails after three tokens: the stream is open by then, so the error is its last event.
  const received: string[] = [];
  const streamFailed = await (async () => {
    const s = await client.chat.completions.create({ model: 'fake-fail', stream: true, messages: [{ role: 'user', content: 'x' }] });
    for await (const chunk of s) received.push(chunk.choices[0]?.delta.content ?? '');
  })().catch((e: unknown) => e);
  t.ok(streamFailed instanceof OpenAI.APIError, 'a failure mid-stream reaches the SDK as an error');
  t.equal((streamFailed as ApiError).status, undefined, 'from inside the stream, not as an HTTP status');
  t.equal(received.join(''), fakeAnswer('x').slice(0, 3).join(''), 'after the part that arrived');
});

t.test('API_KEYS: a key is required and checked', async (t) => {
  const port = await freePort();
  const gateway = spawnService('gateway', { label: 'gateway-keys', port, env: { ...stack.env, API_KEYS: 'key-one-123, key-two-456' }, onLine: () => {} });
  t.teardown(() => gateway.stop());
  const url = `http://127.0.0.1:${port}`;
  await waitFor('keyed gateway', async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined));
  const good = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'key-two-456', maxRetries: 0 });
  t.equal((await good.chat.completions.create({ model: 'fake-fast', messages: [{ role: 'user', content: 'hi' }] })).object, 'chat.completion');
  const none = await fetch(`${url}/v1/models`);
  t.equal(none.status, 401, 'no Authorization header at all');
  const bad = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'wrong-key', maxRetries: 0 });
  const refused = await bad.models.list().catch((e: unknown) => e);
  t.ok(refused instanceof OpenAI.AuthenticationError);
  t.has((refused as ApiError).error, { code: 'unauthorized', type: 'authentication_error' });
});

// A reverse proxy on the same machine connects from loopback too; what it passes on is not a local program.
t.test('without API_KEYS, a request a proxy on this machine passes on is refused, named in TRUST_PROXY or not', async (t) => {
  for (const headers of [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9;proto=https' }, { via: '1.1 caddy' }]) {
    const proxied = new OpenAI({ baseURL: `${stack.gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0, defaultHeaders: headers });
    for (const call of [() => proxied.models.list(), () => proxied.chat.completions.create({ model: 'fake-fast', messages: [{ role: 'user', content: 'hi' }] })]) {
      const refused = await call().catch((e: unknown) => e);
      t.ok(refused instanceof OpenAI.PermissionDeniedError, `403 with ${Object.keys(headers)[0]}`);
      t.has((refused as ApiError).error, { code: 'loopback_only' });
    }
  }
  const port = await freePort();
  const gateway = spawnService('gateway', { label: 'gateway-proxied', port, env: { ...stack.env, TRUST_PROXY: '127.0.0.1' }, onLine: () => {} });
  t.teardown(() => gateway.stop());
  const url = `http://127.0.0.1:${port}/v1`;
  await waitFor('gateway behind a trusted proxy', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined));
  const outside = new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0, defaultHeaders: { 'x-forwarded-for': '203.0.113.9' } });
  t.has(((await outside.models.list().catch((e: unknown) => e)) as ApiError).error, { code: 'loopback_only' }, 'the trusted proxy says the client is outside');
  const inside = new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0, defaultHeaders: { 'x-forwarded-for': '127.0.0.1' } });
  t.equal((await inside.chat.completions.create({ model: 'fake-fast', messages: [{ role: 'user', content: 'hi' }] })).object, 'chat.completion', 'a program here, through the trusted proxy');
});
