import t from 'tap';
import OpenAI from 'openai';
import { NatsRequestError } from '@voxgate/service-kit';
import { makePng, makeWav } from '../../../tools/provider-sim/test/helpers/media.js';
import { startHarness, textOf } from './helpers/harness.js';

const h = await startHarness({
  env: { LOCAL_LLM_KEY: 'local-server-key' },
  modelsFile: (sim) => ({
    servers: [{ id: 'local', label: 'Local', baseUrl: `${sim}/openai/v1`, apiKeyEnv: 'LOCAL_LLM_KEY', models: [{ id: 'llama3.2' }] }],
  }),
});
t.teardown(() => h.close());

const say = (text: string) => [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }];

t.test('a streamed answer arrives whole, numbered 1..n without gaps, ending in done with usage', async (t) => {
  const started = await h.start({ model: 'gpt-4o-mini', mode: 'stateless', messages: say('Hello there [sim:tokens=300]'), maxOutputTokens: 120 });
  const chunks = await h.chunks(started.turnId);
  t.same(chunks.map((c) => c.seq), chunks.map((_, i) => i + 1), 'seqs are 1..n');
  t.has(chunks[0], { type: 'start', model: 'gpt-4o-mini', conversationId: started.conversationId });
  const final = chunks.at(-1);
  t.has(final, { type: 'done', finishReason: 'length', usage: { outputTokens: 120 } });
  t.equal(chunks.filter((c) => c.type === 'done' || c.type === 'error').length, 1, 'exactly one final chunk');

  const direct = await new OpenAI({ apiKey: 'k', baseURL: `${h.sim.url}/openai/v1` }).chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Hello there [sim:tokens=300]' }],
    max_completion_tokens: 120,
  });
  t.equal(textOf(chunks), direct.choices[0]?.message.content, 'the deltas concatenate to the provider text');
  t.ok(chunks.filter((c) => c.type === 'delta').length < 120, 'tokens were coalesced into fewer chunks');
});

t.test('an image attachment reaches the provider as an inline image of its decoded size', async (t) => {
  await h.sim.reset();
  const png = makePng(320, 200);
  const id = await h.attach('image', 'image/png', png);
  const started = await h.start({
    model: 'gpt-4o-mini',
    mode: 'stateless',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', attachmentId: id }] }],
    maxOutputTokens: 200,
  });
  const chunks = await h.chunks(started.turnId);
  t.match(textOf(chunks), /Image 1: png 320x200/);
  const [request] = await h.sim.requests('openai');
  t.has(request?.parts, [{ type: 'text' }, { type: 'image', source: 'inline', format: 'png', widthPx: 320, heightPx: 200, bytes: png.length }]);
});

t.test('a voice message goes as audio to an audio model, and as its transcript to others', async (t) => {
  await h.sim.reset();
  const wav = makeWav(1250);
  const id = await h.attach('audio', 'audio/wav', wav);
  const voice = [{ role: 'user' as const, content: [{ type: 'audio' as const, attachmentId: id }] }];

  const asAudio = await h.chunks((await h.start({ model: 'gpt-4o-audio-preview', mode: 'stateless', messages: voice, maxOutputTokens: 200 })).turnId);
  t.notOk(asAudio.some((c) => c.type === 'transcript'), 'no transcript for an audio model');
  t.match(textOf(asAudio), /Audio 1: wav/);
  t.has((await h.sim.requests('openai')).at(-1)?.parts, [{ type: 'audio', format: 'wav', bytes: wav.length }]);

  await h.sim.reset();
  const asText = await h.chunks((await h.start({ model: 'gpt-4o-mini', mode: 'stateless', messages: voice, maxOutputTokens: 200 })).turnId);
  const transcript = asText.find((c) => c.type === 'transcript');
  t.match(transcript, { seq: 2, type: 'transcript', text: /Simulated transcript of \d+ bytes/ });
  t.match(textOf(asText), /You said: "Simulated transcript/, 'the model read the transcript');
  const paths = (await h.sim.requests('openai')).map((r) => r.path);
  t.same(paths, ['/openai/v1/audio/transcriptions', '/openai/v1/chat/completions']);
});

t.test('Gemini streams with inline parts, system instruction and usage', async (t) => {
  await h.sim.reset();
  const id = await h.attach('image', 'image/png', makePng(64, 48));
  const started = await h.start({
    model: 'gemini-2.5-flash',
    mode: 'stateless',
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Describe [sim:tokens=400]' }, { type: 'image', attachmentId: id }] },
    ],
    maxOutputTokens: 200,
  });
  const chunks = await h.chunks(started.turnId);
  t.match(textOf(chunks), /Simulated answer from gemini-2\.5-flash\. You said: "Describe \[sim:tokens=400\]"[\s\S]*Image 1: png 64x48/);
  t.has(chunks.at(-1), { type: 'done', finishReason: 'length', usage: { outputTokens: 200 } });
  t.has((await h.sim.requests('gemini')).at(-1), { stream: true, authPresent: true });
});

t.test('Zhipu GLM-4V gets bare base64 images and answers', async (t) => {
  await h.sim.reset();
  const id = await h.attach('image', 'image/png', makePng(100, 50));
  const started = await h.start({
    model: 'glm-4v-flash',
    mode: 'stateless',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image', attachmentId: id }] }],
    maxOutputTokens: 200,
  });
  const chunks = await h.chunks(started.turnId);
  t.has(chunks.at(-1), { type: 'done' }, 'no 1210 refusal');
  t.match(textOf(chunks), /Image 1: png 100x50/);
});

t.test('a compatible server from MODELS_FILE is called with its own model id and key', async (t) => {
  await h.sim.reset();
  const chunks = await h.chunks((await h.start({ model: 'local/llama3.2', mode: 'stateless', messages: say('hi'), maxOutputTokens: 50 })).turnId);
  t.match(textOf(chunks), /^Simulated answer from llama3\.2\./);
  t.has((await h.sim.requests('openai')).at(-1), { model: 'llama3.2', authPresent: true });
});

t.test('bad requests are refused with a code before a turn starts', async (t) => {
  const refused = async (body: Parameters<typeof h.start>[0]) => {
    try {
      await h.start(body);
      return undefined;
    } catch (error) {
      return error instanceof NatsRequestError ? { status: error.statusCode, code: error.code } : error;
    }
  };
  t.same(await refused({ model: 'no-such-model', mode: 'stateless', messages: say('x') }), { status: 404, code: 'unknown_model' });
  const image = await h.attach('image', 'image/png', makePng(8, 8));
  t.same(
    await refused({ model: 'glm-4-flash', mode: 'stateless', messages: [{ role: 'user', content: [{ type: 'image', attachmentId: image }] }] }),
    { status: 400, code: 'unsupported_input' },
  );
  t.same(
    await refused({ model: 'gpt-4o-mini', mode: 'stateless', messages: [{ role: 'user', content: [{ type: 'image', attachmentId: 'missing-attachment' }] }] }),
    { status: 404, code: 'attachment_not_found' },
  );
  t.same(await refused({ model: 'gpt-4o-mini', mode: 'conversation', messages: say('   ') }), { status: 400, code: 'invalid_request' });
  t.same(await refused({ model: 'gpt-4o-mini', mode: 'conversation', conversationId: 'nonexistent-conv', messages: say('hi') }), {
    status: 404,
    code: 'conversation_not_found',
  });
});
