import { GoogleGenAI } from '@google/genai';
import t from 'tap';
import { makePng, makeWav } from './helpers/media.js';
import { startSim } from './helpers/sim.js';

const sim = await startSim(t);
const ai = new GoogleGenAI({ apiKey: 'gemini-test-key', httpOptions: { baseUrl: sim.geminiBase } });
t.beforeEach(() => sim.reset());

t.test('generateContentStream streams the answer with a finish reason and usage metadata', async (t) => {
  const stream = await ai.models.generateContentStream({
    model: 'gemini-2.5-flash',
    contents: 'Tell me something.',
    config: { systemInstruction: 'Answer kindly.' },
  });
  let text = '';
  let chunks = 0;
  let finishReason: string | undefined;
  let usage: { promptTokenCount?: number; candidatesTokenCount?: number; totalTokenCount?: number } | undefined;
  for await (const chunk of stream) {
    text += chunk.text ?? '';
    chunks += 1;
    finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
    usage = chunk.usageMetadata ?? usage;
  }
  t.match(text, 'Simulated answer from gemini-2.5-flash. You said: "Tell me something."');
  t.equal(finishReason, 'STOP');
  t.equal(usage?.candidatesTokenCount, chunks, 'one token per chunk, all counted');
  t.ok((usage?.promptTokenCount ?? 0) > 4, 'the system instruction counts towards the prompt');
  t.equal(usage?.totalTokenCount, (usage?.promptTokenCount ?? 0) + chunks);
  const [record] = await sim.requests('gemini');
  t.match(record, {
    // The SDK picks the API version; the simulator serves v1beta, v1 and v1alpha alike.
    path: /^\/gemini\/v1(beta|alpha)?\/models\/gemini-2\.5-flash:streamGenerateContent$/,
    model: /^gemini-2\.5-flash$/,
    stream: true,
    authPresent: true,
  });
});

t.test('maxOutputTokens caps a long answer and ends with MAX_TOKENS', async (t) => {
  const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'Go long. [sim:tokens=800]', config: { maxOutputTokens: 500 } });
  let chunks = 0;
  let finishReason: string | undefined;
  for await (const chunk of stream) {
    chunks += 1;
    finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
  }
  t.equal(chunks, 500);
  t.equal(finishReason, 'MAX_TOKENS');
});

t.test('inline images and audio are decoded and described', async (t) => {
  const png = makePng(320, 200);
  const wav = makeWav(750);
  const response = await ai.models.generateContent({
    model: 'gemini-2.5-flash',
    contents: [
      { role: 'user', parts: [{ text: 'First turn.' }] },
      { role: 'model', parts: [{ text: 'Noted.' }] },
      {
        role: 'user',
        parts: [
          { text: 'What is in this picture and this clip?' },
          { inlineData: { mimeType: 'image/png', data: png.toString('base64') } },
          { inlineData: { mimeType: 'audio/wav', data: wav.toString('base64') } },
        ],
      },
    ],
  });
  const text = response.text ?? '';
  t.match(text, 'You said: "What is in this picture and this clip?"');
  t.match(text, 'I received 3 messages, 1 image and 1 audio part.');
  t.match(text, `Image 1: png 320x200, ${png.length} bytes.`);
  t.match(text, `Audio 1: wav, ${wav.length} bytes, 0.75 s.`);
  t.equal(response.candidates?.[0]?.finishReason, 'STOP');
});

t.test('an image that does not decode is refused with a Gemini-shaped 400', async (t) => {
  const error = await ai.models
    .generateContent({
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/jpeg', data: Buffer.from('not a jpeg').toString('base64') } }] }],
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.match(error, { name: 'ApiError', status: 400, message: /INVALID_ARGUMENT/ });
});

t.test('the key may come as ?key=; without any key the answer is 403 PERMISSION_DENIED, like the real API', async (t) => {
  const body = JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] });
  const withQueryKey = await fetch(`${sim.geminiBase}/v1beta/models/gemini-2.5-flash:generateContent?key=abc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  t.equal(withQueryKey.status, 200);
  const withoutKey = await fetch(`${sim.geminiBase}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  t.equal(withoutKey.status, 403);
  t.match(await withoutKey.json(), { error: { code: 403, status: 'PERMISSION_DENIED', message: /unregistered callers/ } });
  const records = await sim.requests('gemini');
  t.same(
    records.map((r) => r.authPresent),
    [true, false],
  );
  t.notMatch(JSON.stringify(records), 'key=abc', 'query keys are never logged');
});

t.test('streamGenerateContent without alt=sse answers a JSON array; unknown methods are 404s', async (t) => {
  const response = await fetch(`${sim.geminiBase}/v1beta/models/gemini-2.0-flash:streamGenerateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
    body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 4 } }),
  });
  const chunks = (await response.json()) as { candidates: { finishReason?: string }[] }[];
  t.equal(chunks.length, 4);
  t.equal(chunks.at(-1)?.candidates[0]?.finishReason, 'MAX_TOKENS');

  const unknown = await fetch(`${sim.geminiBase}/v1beta/models/gemini-2.0-flash:embedContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
    body: '{}',
  });
  t.equal(unknown.status, 404);
  t.has(await unknown.json(), { error: { code: 404, status: 'NOT_FOUND' } });
});

t.test('an empty request is refused in Gemini shape, and models are listed', async (t) => {
  // The SDK refuses empty contents itself, so this goes over plain HTTP.
  const empty = await fetch(`${sim.geminiBase}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
    body: JSON.stringify({ contents: [] }),
  });
  t.equal(empty.status, 400);
  t.match(await empty.json(), { error: { code: 400, status: 'INVALID_ARGUMENT', message: /contents/ } });
  const pager = await ai.models.list();
  const names: string[] = [];
  for await (const model of pager) names.push(model.name ?? '');
  t.ok(names.includes('models/gemini-2.5-flash'));
});
