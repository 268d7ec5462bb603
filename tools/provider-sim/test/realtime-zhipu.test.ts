import t from 'tap';
import { encodeWav } from '../src/app.js';
import { deltasDurationMs, EventClient, frames, refusedUpgrade, speechThenSilence } from './helpers/realtime.js';
import { startSim } from './helpers/sim.js';

const sim = await startSim(t, { realtimePace: 'fast', zhipuHeartbeatMs: 150 });
const url = `${sim.url.replace(/^http/, 'ws')}/zhipu/api/paas/v4/realtime`;
const auth = { headers: { authorization: 'Bearer zhipu-test' } };
const connect = async () => {
  const client = await EventClient.connect(url, auth);
  t.teardown(() => client.close());
  return client;
};
const glmSession = (extra: Record<string, unknown> = {}) => ({
  type: 'session.update',
  session: { model: 'glm-realtime-flash', input_audio_format: 'wav', output_audio_format: 'pcm', instructions: '', turn_detection: { type: 'client_vad' }, beta_fields: { chat_mode: 'audio', tts_source: 'e2e' }, ...extra },
});
const appendWav = (client: EventClient, pcm: Buffer, rateHz: number) => {
  for (const frame of frames(pcm, 100, rateHz)) client.send({ type: 'input_audio_buffer.append', audio: encodeWav(frame, rateHz).toString('base64'), client_timestamp: Date.now() });
};

t.test('the upgrade needs a Bearer key, refused in Zhipu shape', async (t) => {
  t.has(await refusedUpgrade(url), { status: 401, body: { error: { code: '1001' } } });
});

t.test('session.created, session.updated and heartbeats, the bare {"type":"heartbeat"}', async (t) => {
  const client = await connect();
  t.has(await client.next('session.created'), { session: { model: 'glm-realtime-flash', input_audio_format: 'wav', turn_detection: { type: 'client_vad' }, beta_fields: { chat_mode: 'audio' } } });
  t.same(await client.next('heartbeat'), { type: 'heartbeat' });
  client.send(glmSession({ model: 'glm-realtime-air' }));
  t.has(await client.next('session.updated'), { session: { model: 'glm-realtime-air' } });
  await client.next('heartbeat');
  await client.next('heartbeat', undefined, 1000);
  t.pass('heartbeats keep coming at the configured interval');
  client.send({ type: 'session.update', session: { model: 'glm-realtime-flash' } });
  t.match(await client.next('error'), { error: { type: 'invalid_request_error', message: /chat_mode/ } });
  client.send({ type: 'session.update', session: { ...glmSession().session, type: 'realtime', output_modalities: ['audio'] } });
  await client.next('session.updated');
  const { sessions } = (await (await fetch(`${sim.url}/_sim/realtime?provider=zhipu`)).json()) as { sessions: { open: boolean; ignoredFields: string[] }[] };
  t.ok(sessions.some((s) => s.open && s.ignoredFields.includes('session.output_modalities')), 'GA-only fields are reported as ignored');
});

t.test('16 kHz WAV, commit and response.create: beta-style events with PCM audio and usage', async (t) => {
  const client = await connect();
  client.send(glmSession());
  await client.next('session.updated');
  appendWav(client, speechThenSilence(800, 200, 16_000), 16_000);
  client.send({ type: 'input_audio_buffer.commit' });
  const committed = await client.next('input_audio_buffer.committed');
  t.has(await client.next('conversation.item.created'), { item: { id: committed.item_id, role: 'user' } });
  t.has(await client.next('conversation.item.input_audio_transcription.completed'), { item_id: committed.item_id, transcript: 'simulated transcript of 1.00 s of speech' });
  const from = client.events.length;
  client.send({ type: 'response.create', client_timestamp: 1234 });
  t.has(await client.next('response.created'), { response: { object: 'realtime.response', status: 'in_progress' } });
  const done = await client.next('response.done');
  t.match(done, { response: { status: 'completed', usage: { input_tokens: Number, output_tokens: Number } } });
  const deltas = client.since(from, 'response.audio.delta');
  t.ok(deltas.length > 5 && deltas.every((d) => d.client_timestamp === 1234));
  const seconds = deltasDurationMs(deltas, 24_000) / 1000;
  t.ok(seconds > 1 && seconds < 12, `answer audio lasts ${seconds.toFixed(2)} s`);
  t.match(client.since(from, 'response.audio_transcript.done')[0], { transcript: /simulated transcript of 1\.00 s/ });
  // GLM's documented shapes (protocols.md §3.3): nothing a relay could take for GA's item or indices.
  const keys = (type: string) => Object.keys(client.since(from, type)[0] ?? {}).sort();
  t.same(keys('response.audio_transcript.delta'), ['client_timestamp', 'delta', 'event_id', 'type']);
  t.same(keys('response.audio_transcript.done'), ['event_id', 'transcript', 'type']);
  t.same(keys('response.audio.done'), ['event_id', 'type']);
  t.same(keys('response.audio.delta'), ['client_timestamp', 'content_index', 'delta', 'event_id', 'output_index', 'response_id', 'type']);
  t.same(Object.keys(done.response as object).sort(), ['id', 'status', 'usage']);
  t.equal(client.since(from).filter((e) => e.type.startsWith('response.output_')).length, 0, 'no GA names');
});

t.test('what GLM refuses: 24 kHz WAV, raw PCM as wav, truncate, pcm24 format; the socket stays open', async (t) => {
  const client = await connect();
  client.send(glmSession());
  await client.next('session.updated');
  client.send({ type: 'input_audio_buffer.append', audio: encodeWav(speechThenSilence(100, 0, 24_000), 24_000).toString('base64') });
  t.match(await client.next('error'), { error: { type: 'invalid_request_error', code: 'invalid_audio_format', message: /24000 Hz/ } });
  client.send({ type: 'input_audio_buffer.append', audio: speechThenSilence(100, 0, 24_000).toString('base64') });
  t.match(await client.next('error'), { error: { code: 'invalid_audio_format', message: /WAV/ } });
  client.send({ type: 'conversation.item.truncate', item_id: 'x', content_index: 0, audio_end_ms: 0 });
  t.match(await client.next('error'), { error: { code: 'invalid_event', message: /conversation\.item\.truncate/ } });
  client.send(glmSession({ input_audio_format: 'pcm24' }));
  t.has(await client.next('error'), { error: { code: 'invalid_audio_format' } });
  client.socket.send('nope');
  t.has(await client.next('error'), { error: { code: 'invalid_event' } });
  client.send(glmSession({ input_audio_format: 'pcm16' }));
  await client.next('session.updated');
  client.send({ type: 'input_audio_buffer.append', audio: speechThenSilence(300, 0, 16_000).toString('base64') });
  client.send({ type: 'input_audio_buffer.commit' });
  t.ok(await client.next('input_audio_buffer.committed'), 'raw 16 kHz PCM is taken with pcm16');
});

t.test('server VAD: speech events, automatic answer, and a function call from a text item', async (t) => {
  const client = await connect();
  client.send(glmSession({ turn_detection: { type: 'server_vad' }, tools: [{ type: 'function', name: 'search_engine', description: 'search', parameters: { type: 'object', properties: { q: { type: 'string' } } } }] }));
  await client.next('session.updated');
  appendWav(client, speechThenSilence(600, 800, 16_000), 16_000);
  t.same(Object.keys(await client.next('input_audio_buffer.speech_started')).sort(), ['event_id', 'type'], 'no times, no item id');
  t.same(Object.keys(await client.next('input_audio_buffer.speech_stopped')).sort(), ['event_id', 'type']);
  const committed = await client.next('input_audio_buffer.committed');
  t.same(Object.keys(await client.next('conversation.item.input_audio_transcription.completed')).sort(), ['event_id', 'item_id', 'transcript', 'type']);
  t.match(committed, { item_id: String });
  await client.next('response.created');
  t.has(await client.next('response.done'), { response: { status: 'completed' } });
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'use search_engine please' }] } });
  await client.next('conversation.item.created');
  client.send({ type: 'response.create' });
  const call = await client.next('response.function_call_arguments.done');
  t.has(call, { name: 'search_engine', arguments: '{"q":"simulated"}', output_index: 0 });
  t.same(Object.keys(call).sort(), ['arguments', 'event_id', 'name', 'output_index', 'response_id', 'type'], 'no call id, no item');
  await client.next('response.done');
  client.send({ type: 'session.update', session: { ...glmSession().session, tools: [{ type: 'function', function: { name: 'nested' } }] } });
  t.match(await client.next('error'), { error: { message: /flat|type:"function", name/ } });
});
