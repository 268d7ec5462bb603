import OpenAI, { toFile } from 'openai';
import t from 'tap';
import { makeWav } from './helpers/media.js';
import { startSim } from './helpers/sim.js';

const sim = await startSim(t);
const client = new OpenAI({ apiKey: 'sk-test', baseURL: sim.openaiBase, maxRetries: 0 });
t.beforeEach(() => sim.reset());

t.test('a WAV upload is transcribed with its size and duration', async (t) => {
  const wav = makeWav(1250);
  const transcription = await client.audio.transcriptions.create({ model: 'gpt-4o-mini-transcribe', file: await toFile(wav, 'note.wav') });
  t.equal(transcription.text, `Simulated transcript of ${wav.length} bytes of audio/wav, 1.25 seconds.`);
  const [record] = await sim.requests('openai');
  t.has(record, { path: '/openai/v1/audio/transcriptions', model: 'gpt-4o-mini-transcribe', parts: [{ type: 'audio', format: 'wav', bytes: wav.length, durationMs: 1250 }] });
});

t.test('browser recordings (webm) and mp3 are accepted without a duration', async (t) => {
  const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(3000, 7)]);
  const fromWebm = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(webm, 'voice.webm', { type: 'audio/webm' }) });
  t.equal(fromWebm.text, `Simulated transcript of ${webm.length} bytes of audio/webm.`);
  const mp3 = Buffer.concat([Buffer.from('ID3'), Buffer.alloc(500, 1)]);
  const fromMp3 = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(mp3, 'clip.mp3') });
  t.equal(fromMp3.text, `Simulated transcript of ${mp3.length} bytes of audio/mpeg.`);
});

t.test('text and verbose_json response formats', async (t) => {
  const wav = makeWav(500);
  const text = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(wav, 'a.wav'), response_format: 'text' });
  t.equal(text.trim(), `Simulated transcript of ${wav.length} bytes of audio/wav, 0.50 seconds.`);
  const verbose = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(wav, 'a.wav'), response_format: 'verbose_json' });
  t.equal(verbose.duration, 0.5);
  t.equal(verbose.segments?.[0]?.end, 0.5);
});

t.test('files that are not audio, and forms missing fields, get OpenAI-shaped 400s', async (t) => {
  await t.rejects(
    client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(Buffer.from('just some text, not audio'), 'notes.txt') }),
    { status: 400, message: /Invalid file format/ },
  );
  const form = new FormData();
  form.append('model', 'whisper-1');
  const response = await fetch(`${sim.openaiBase}/audio/transcriptions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: form });
  t.equal(response.status, 400);
  t.has(await response.json(), { error: { message: "Missing required parameter: 'file'.", param: 'file', type: 'invalid_request_error' } });
});
