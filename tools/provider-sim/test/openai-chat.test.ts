import OpenAI from 'openai';
import t from 'tap';
import { makeJpegHeader, makePng, makeWav } from './helpers/media.js';
import { startSim } from './helpers/sim.js';

const sim = await startSim(t);
const client = new OpenAI({ apiKey: 'sk-test-key-value', baseURL: sim.openaiBase, maxRetries: 0 });
t.beforeEach(() => sim.reset());

t.test('a plain answer quotes the user and reports honest usage', async (t) => {
  const completion = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is the capital of France?' },
    ],
  });
  const text = completion.choices[0]?.message.content ?? '';
  t.equal(completion.object, 'chat.completion');
  t.match(text, 'Simulated answer from gpt-4o-mini. You said: "What is the capital of France?"');
  t.match(text, 'I received 2 messages, 0 images and 0 audio parts.');
  t.equal(completion.choices[0]?.finish_reason, 'stop');
  t.ok(completion.usage && completion.usage.completion_tokens > 10);
  t.equal(completion.usage?.total_tokens, (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
  t.ok(completion._request_id, 'carries an x-request-id');
});

t.test('streaming with include_usage: same text as unstreamed, one token per chunk, usage last', async (t) => {
  const messages = [{ role: 'user' as const, content: 'Stream this, please.' }];
  const whole = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let contentChunks = 0;
  const finishReasons: string[] = [];
  let last: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (choice?.delta.content) {
      text += choice.delta.content;
      contentChunks += 1;
    }
    if (choice?.finish_reason) finishReasons.push(choice.finish_reason);
    last = chunk;
  }
  t.equal(text, whole.choices[0]?.message.content);
  t.same(finishReasons, ['stop']);
  t.same(last?.choices, [], 'the usage chunk has no choices');
  t.equal(last?.usage?.completion_tokens, contentChunks);
  t.equal(last?.usage?.prompt_tokens, whole.usage?.prompt_tokens);
});

t.test('without include_usage a stream carries no usage', async (t) => {
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
  for await (const chunk of stream) t.notOk(chunk.usage, 'no usage figures');
});

t.test('a length directive asks for a long answer; max_tokens caps it like a real budget', async (t) => {
  const natural = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4096 });
  t.equal(natural.choices[0]?.finish_reason, 'stop', 'an ordinary answer ends by itself, well under the budget');
  t.ok((natural.usage?.completion_tokens ?? 0) < 100);

  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Write a long essay. [sim:tokens=5000]' }],
    max_completion_tokens: 4000,
    stream: true,
    stream_options: { include_usage: true },
  });
  let contentChunks = 0;
  let finish: string | null | undefined;
  let completionTokens: number | undefined;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta.content) contentChunks += 1;
    finish = chunk.choices[0]?.finish_reason ?? finish;
    completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
  }
  t.equal(contentChunks, 4000);
  t.equal(completionTokens, 4000);
  t.equal(finish, 'length');

  const short = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
  t.equal(short.choices[0]?.message.content, 'Simulated', 'three word-pieces: Simu|late|d');
  t.equal(short.usage?.completion_tokens, 3);
  t.equal(short.choices[0]?.finish_reason, 'length');
});

t.test('images arrive byte for byte: the answer states their decoded sizes and the log their byte counts', async (t) => {
  const png = makePng(64, 48);
  const jpeg = makeJpegHeader(1024, 768);
  const completion = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Describe these.' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
          { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg.toString('base64')}`, detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png?sig=secret' } },
        ],
      },
    ],
  });
  const text = completion.choices[0]?.message.content ?? '';
  t.match(text, 'You said: "Describe these."');
  t.match(text, '3 images');
  t.match(text, `Image 1: png 64x48, ${png.length} bytes.`);
  t.match(text, `Image 2: jpeg 1024x768, ${jpeg.length} bytes.`);
  t.match(text, 'Image 3: by URL from example.com, not fetched');
  const [record] = await sim.requests('openai');
  t.has(record?.parts, [
    { type: 'text', chars: 15 },
    { type: 'image', source: 'inline', format: 'png', bytes: png.length, widthPx: 64, heightPx: 48, declaredMimeType: 'image/png' },
    { type: 'image', source: 'inline', format: 'jpeg', bytes: jpeg.length },
    { type: 'image', source: 'url', host: 'example.com' },
  ]);
  t.notMatch(JSON.stringify(record), 'secret', 'URL query strings are not logged');
});

t.test('large images pass (20 MB bodies are normal for vision requests)', async (t) => {
  // A real JPEG header followed by 6 MB of scan data: only the header is read, every byte is counted.
  const jpeg = Buffer.concat([makeJpegHeader(4000, 3000).subarray(0, -2), Buffer.alloc(6_000_000, 0x55), Buffer.from([0xff, 0xd9])]);
  const completion = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg.toString('base64')}` } }] }],
  });
  t.match(completion.choices[0]?.message.content, `Image 1: jpeg 4000x3000, ${jpeg.length} bytes.`);
});

t.test('an absurd token budget is refused rather than attempted', async (t) => {
  await t.rejects(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: 10_000_000 }), {
    status: 400,
    message: /max_tokens/,
  });
});

t.test('OpenAI refuses bare base64 and undecodable images with its own 400s', async (t) => {
  const png = makePng(8, 8).toString('base64');
  const bare = client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: png } }] }],
  });
  await t.rejects(bare, { status: 400, code: 'invalid_value', param: 'messages[0].content[0].image_url.url' });

  const broken = Buffer.from('this is not an image').toString('base64');
  const undecodable = client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${broken}` } }] }],
  });
  await t.rejects(undecodable, { status: 400, code: 'invalid_image_format' });
});

t.test('audio parts are counted and timed', async (t) => {
  const wav = makeWav(2000);
  const completion = await client.chat.completions.create({
    model: 'gpt-4o-audio-preview',
    modalities: ['text'],
    messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: wav.toString('base64'), format: 'wav' } }] }],
  });
  const text = completion.choices[0]?.message.content ?? '';
  t.match(text, 'Your last message had no text.');
  t.match(text, `Audio 1: wav, ${wav.length} bytes, 2.00 s.`);
});

t.test('malformed requests get OpenAI-shaped 400s naming the parameter', async (t) => {
  await t.rejects(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }), { status: 400, message: /^400 /, param: 'messages' });
  const response = await fetch(`${sim.openaiBase}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: '{"model": "gpt-4o-mini", "messages": [',
  });
  t.equal(response.status, 400);
  t.match(await response.json(), { error: { type: 'invalid_request_error', message: String } });
});

t.test('requests without a key get 401 in OpenAI shape, and the log says no key came', async (t) => {
  const response = await fetch(`${sim.openaiBase}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  t.equal(response.status, 401);
  t.match(await response.json(), { error: { message: /API key/, type: 'invalid_request_error', param: null, code: null } });
  const [record] = await sim.requests();
  t.has(record, { provider: 'openai', authPresent: false, path: '/openai/v1/chat/completions' });
});

t.test('models are listed, and unknown routes are 404s in OpenAI shape', async (t) => {
  const ids: string[] = [];
  for await (const model of client.models.list()) ids.push(model.id);
  t.ok(ids.includes('gpt-4o-mini') && ids.includes('whisper-1'));
  await t.rejects(client.models.retrieve('no-such-model'), { status: 404, code: 'model_not_found' });
  const response = await fetch(`${sim.openaiBase}/embeddings`, { method: 'POST', headers: { authorization: 'Bearer k' } });
  t.equal(response.status, 404);
  t.match(await response.json(), { error: { message: 'Invalid URL (POST /openai/v1/embeddings)' } });
});
