import OpenAI from 'openai';
import t from 'tap';
import { makePng } from './helpers/media.js';
import { startSim } from './helpers/sim.js';

const sim = await startSim(t);
// Zhipu is reached with the OpenAI SDK and a base URL, as services do.
const client = new OpenAI({ apiKey: 'zhipu-test.key', baseURL: sim.zhipuBase, maxRetries: 0 });
t.beforeEach(() => sim.reset());

t.test('streams carry usage on the finishing chunk even without stream_options', async (t) => {
  const stream = await client.chat.completions.create({ model: 'glm-4-flash', messages: [{ role: 'user', content: '你好' }], stream: true });
  let text = '';
  let tokens = 0;
  let finishing: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta.content;
    if (content) {
      text += content;
      tokens += 1;
    }
    if (chunk.choices[0]?.finish_reason) finishing = chunk;
  }
  t.match(text, 'Simulated answer from glm-4-flash. You said: "你好"');
  t.equal(finishing?.choices[0]?.finish_reason, 'stop');
  t.equal(finishing?.usage?.completion_tokens, tokens);
  t.equal(finishing?.usage?.prompt_tokens, 2, 'one token per Chinese character');
});

t.test('GLM-4V refuses a data: URL with code 1210, the quirk clients must work around', async (t) => {
  const png = makePng(100, 80);
  const withPrefix = client.chat.completions.create({
    model: 'glm-4v-flash',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } }] }],
  });
  await t.rejects(withPrefix, { status: 400, message: '400 图片输入格式/解析错误', error: { code: '1210' } });

  const bare = await client.chat.completions.create({
    model: 'glm-4v-flash',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: '这是什么？' },
          { type: 'image_url', image_url: { url: png.toString('base64') } },
        ],
      },
    ],
  });
  t.match(bare.choices[0]?.message.content, `Image 1: png 100x80, ${png.length} bytes.`);
});

t.test('text-only GLM models take either form; broken base64 is a 1210 too', async (t) => {
  const png = makePng(5, 5).toString('base64');
  const lenient = await client.chat.completions.create({
    model: 'glm-4-plus',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
  });
  t.match(lenient.choices[0]?.message.content, 'Image 1: png 5x5');
  await t.rejects(
    client.chat.completions.create({
      model: 'glm-4v-plus',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'not base64 at all!' } }] }],
    }),
    { status: 400, message: /^400 /, error: { code: '1210' } },
  );
});

t.test('errors are in Zhipu shape: string codes from its catalogue', async (t) => {
  const response = await fetch(`${sim.zhipuBase}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'glm-4-flash', messages: [{ role: 'user', content: 'hi' }] }),
  });
  t.equal(response.status, 401);
  t.same(await response.json(), { error: { code: '1001', message: 'Header中未收到Authorization参数，无法进行身份验证。' } });
  await t.rejects(client.chat.completions.create({ model: 'glm-4-flash', messages: [] }), { status: 400, message: /^400 /, error: { code: '1214' } });
});
