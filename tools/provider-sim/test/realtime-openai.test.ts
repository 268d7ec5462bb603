import t from 'tap';
import { deltasDurationMs, EventClient, frames, refusedUpgrade, speechThenSilence } from './helpers/realtime.js';
import { startSim } from './helpers/sim.js';

const sim = await startSim(t, { realtimePace: 'fast' });
const wsBase = `${sim.url.replace(/^http/, 'ws')}/openai/v1/realtime`;
const auth = { headers: { authorization: 'Bearer sk-test' } };
const connect = async (model = 'gpt-realtime') => {
  const client = await EventClient.connect(`${wsBase}?model=${model}`, auth);
  t.teardown(() => client.close());
  return client;
};
const appendPcm = (client: EventClient, pcm: Buffer) => {
  for (const frame of frames(pcm, 20, 24_000)) client.send({ type: 'input_audio_buffer.append', audio: frame.toString('base64') });
};

t.test('the upgrade is refused without a key (401) and for a model that is not realtime (400)', async (t) => {
  t.has(await refusedUpgrade(`${wsBase}?model=gpt-realtime`), { status: 401, body: { error: { type: 'invalid_request_error' } } });
  t.has(await refusedUpgrade(`${wsBase}?model=gpt-4o-mini`, auth), { status: 400, body: { error: { param: 'model' } } });
  t.match(await refusedUpgrade(`${wsBase}`, auth), { status: 400 });
});

t.test('browsers authenticate with subprotocols; the server selects "realtime"', async (t) => {
  const client = await EventClient.connect(`${wsBase}?model=gpt-realtime-mini`, { protocols: ['realtime', 'openai-insecure-api-key.sk-browser'] });
  t.equal(client.socket.protocol, 'realtime');
  t.has(await client.next('session.created'), { session: { model: 'gpt-realtime-mini' } });
  client.close();
});

t.test('session.created is a GA session; session.update is checked against the GA shape', async (t) => {
  const client = await connect();
  const created = await client.next('session.created');
  t.match(created, {
    event_id: String,
    session: {
      type: 'realtime',
      object: 'realtime.session',
      model: /^gpt-realtime$/,
      output_modalities: ['audio'],
      audio: {
        input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: true, interrupt_response: true } },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: String },
      },
    },
  });
  client.send({ type: 'session.update', event_id: 'evt_beta', session: { modalities: ['text', 'audio'], voice: 'verse' } });
  t.has(await client.next('error'), { error: { type: 'invalid_request_error', code: 'unknown_parameter', param: 'session.modalities', event_id: 'evt_beta' } });
  client.send({ type: 'session.update', event_id: 'evt_notype', session: { instructions: 'x' } });
  t.has(await client.next('error'), { error: { code: 'missing_required_parameter', param: 'session.type', event_id: 'evt_notype' } });
  client.send({ type: 'session.update', event_id: 'evt_beta2', session: { type: 'realtime', turn_detection: null } });
  t.has(await client.next('error'), { error: { code: 'unknown_parameter', param: 'session.turn_detection', event_id: 'evt_beta2' } });
  client.send({ type: 'session.update', event_id: 'evt_rate', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } });
  t.has(await client.next('error'), { error: { code: 'invalid_value', param: 'session.audio.input.format.rate' } });

  client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.', audio: { output: { voice: 'marin' }, input: { turn_detection: { type: 'server_vad', silence_duration_ms: 300 } } } } });
  const updated = await client.next('session.updated');
  t.has(updated, { session: { instructions: 'Be brief.', audio: { output: { voice: 'marin' }, input: { turn_detection: { silence_duration_ms: 300, threshold: 0.5 } } } } });
  const { sessions } = (await (await fetch(`${sim.url}/_sim/realtime?provider=openai`)).json()) as { sessions: { sessionUpdates: unknown[] }[] };
  t.ok(sessions.some((s) => s.sessionUpdates.length === 5), 'the simulator keeps every session.update body it received');
});

t.test('bad frames get error events and the socket stays open', async (t) => {
  const client = await connect();
  await client.next('session.created');
  client.socket.send('{not json');
  t.has(await client.next('error'), { error: { type: 'invalid_request_error', code: 'invalid_json' } });
  client.send({ type: 'no.such.event', event_id: 'evt_x' });
  t.has(await client.next('error'), { error: { code: 'invalid_value', param: 'type', event_id: 'evt_x' } });
  client.send({ type: 'input_audio_buffer.append', event_id: 'evt_b64', audio: 'not base64!' });
  t.has(await client.next('error'), { error: { param: 'audio', event_id: 'evt_b64' } });
  client.send({ type: 'response.cancel', event_id: 'evt_c' });
  t.has(await client.next('error'), { error: { code: 'response_cancel_not_active', event_id: 'evt_c' } });
  client.send({ type: 'input_audio_buffer.commit', event_id: 'evt_e' });
  t.has(await client.next('error'), { error: { code: 'input_audio_buffer_commit_empty' } });
  client.socket.send(Buffer.from([1, 2, 3]));
  await client.next('error');
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'still here?' }] } });
  t.ok(await client.next('conversation.item.done'), 'the session still answers');
});

t.test('a text item and response.create give audio deltas, a transcript and usage', async (t) => {
  const client = await connect();
  await client.next('session.created');
  client.send({ type: 'conversation.item.create', event_id: 'probe', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello there' }] } });
  const added = await client.next('conversation.item.added');
  t.match(added, { item: { type: /^message$/, role: 'user', id: String } });
  t.has(await client.next('conversation.item.done'), { item: { id: (added.item as { id: string }).id } });
  const from = client.events.length;
  client.send({ type: 'response.create' });
  const created = await client.next('response.created');
  t.has(created, { response: { object: 'realtime.response', status: 'in_progress' } });
  await client.next('response.output_item.added');
  await client.next('response.content_part.added');
  const done = await client.next('response.done');
  const transcript = (await client.next('response.output_audio_transcript.done').catch(() => undefined)) ?? client.since(from, 'response.output_audio_transcript.done')[0];
  t.match(transcript, { transcript: /You said: "hello there"/ });
  const deltas = client.since(from, 'response.output_audio.delta');
  t.ok(deltas.length > 10, 'audio comes in many deltas');
  const transcriptDeltas = client.since(from, 'response.output_audio_transcript.delta');
  t.equal(transcriptDeltas.map((e) => e.delta).join(''), transcript?.transcript, 'transcript deltas join to the transcript');
  const firstAudio = client.events.indexOf(deltas[0] as never);
  const lastText = client.events.indexOf(transcriptDeltas.at(-1) as never);
  t.ok(lastText > firstAudio, 'transcript deltas are interleaved with audio');
  const seconds = deltasDurationMs(deltas, 24_000) / 1000;
  t.ok(seconds > 1 && seconds < 12, `answer audio lasts ${seconds.toFixed(2)} s`);
  t.match(done, { response: { status: 'completed', output: [{ type: /^message$/, role: 'assistant', status: 'completed' }], usage: { input_tokens: Number, output_tokens: Number } } });
  const usage = (done.response as { usage: { input_tokens: number; output_tokens: number } }).usage;
  t.ok(usage.input_tokens > 0 && usage.output_tokens > 0);
});

t.test('speech then silence: VAD events, committed user item, transcript, automatic response', async (t) => {
  const client = await connect();
  await client.next('session.created');
  client.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' } } } } });
  await client.next('session.updated');
  appendPcm(client, speechThenSilence(500, 100, 24_000));
  appendPcm(client, speechThenSilence(0, 400, 24_000)); // silence: only the first 100 ms of prefix above
  const started = await client.next('input_audio_buffer.speech_started');
  t.match(started, { audio_start_ms: 0, item_id: String });
  const stopped = await client.next('input_audio_buffer.speech_stopped');
  t.equal(stopped.item_id, started.item_id);
  t.ok((stopped.audio_end_ms as number) >= 500, 'speech stopped after the tone');
  t.has(await client.next('input_audio_buffer.committed'), { item_id: started.item_id });
  t.has(await client.next('conversation.item.added'), { item: { id: started.item_id, role: 'user', content: [{ type: 'input_audio' }] } });
  t.match(await client.next('conversation.item.input_audio_transcription.completed'), { item_id: started.item_id, transcript: /^simulated transcript of \d\.\d\d s of speech$/ });
  t.has(await client.next('response.created'), { response: { status: 'in_progress' } });
  const done = await client.next('response.done');
  t.has(done, { response: { status: 'completed' } });
  // The second utterance starts its own turn.
  appendPcm(client, speechThenSilence(700, 800, 24_000));
  const second = await client.next('input_audio_buffer.speech_started');
  t.not(second.item_id, started.item_id);
  const { sessions } = (await (await fetch(`${sim.url}/_sim/realtime?provider=openai`)).json()) as { sessions: { open: boolean; audioMsIn: number }[] };
  t.ok(sessions.some((s) => s.open && Math.abs(s.audioMsIn - 2500) < 1), 'the control API saw 2.5 s of audio arrive');
});

t.test('push-to-talk: turn_detection null, commit and response.create by hand', async (t) => {
  const client = await connect();
  client.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
  t.has(await client.next('session.updated'), { session: { audio: { input: { turn_detection: null } } } });
  appendPcm(client, speechThenSilence(600, 400, 24_000));
  client.send({ type: 'input_audio_buffer.clear' });
  await client.next('input_audio_buffer.cleared');
  appendPcm(client, speechThenSilence(600, 400, 24_000));
  client.send({ type: 'input_audio_buffer.commit' });
  const committed = await client.next('input_audio_buffer.committed');
  t.equal(client.events.filter((e) => e.type === 'input_audio_buffer.speech_started').length, 0, 'no VAD events without turn detection');
  t.has(await client.next('conversation.item.done'), { item: { id: committed.item_id } });
  client.send({ type: 'response.create' });
  t.has(await client.next('response.done'), { response: { status: 'completed' } });
});

t.test('response.cancel ends the response as cancelled; truncate answers truncated', async (t) => {
  const slow = await startSim(t, { realtimePace: 'realtime' });
  const client = await EventClient.connect(`${slow.url.replace(/^http/, 'ws')}/openai/v1/realtime?model=gpt-realtime`, auth);
  t.teardown(() => client.close());
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'tell me a long story please' }] } });
  client.send({ type: 'response.create' });
  const item = await client.next('response.output_item.added');
  for (let i = 0; i < 5; i++) await client.next('response.output_audio.delta');
  client.send({ type: 'response.create', event_id: 'evt_dup' });
  t.has(await client.next('error'), { error: { code: 'conversation_already_has_active_response', event_id: 'evt_dup' } });
  client.send({ type: 'response.cancel' });
  const done = await client.next('response.done');
  t.has(done, { response: { status: 'cancelled', status_details: { type: 'cancelled', reason: 'client_cancelled' }, output: [{ status: 'incomplete' }] } });
  const itemId = (item.item as { id: string }).id;
  client.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 100 });
  t.match(await client.next('conversation.item.truncated'), { event_id: String, item_id: itemId, content_index: 0, audio_end_ms: 100 });
  client.send({ type: 'conversation.item.truncate', event_id: 'evt_long', item_id: itemId, content_index: 0, audio_end_ms: 60_000 });
  t.has(await client.next('error'), { error: { param: 'audio_end_ms', event_id: 'evt_long' } });
  client.send({ type: 'conversation.item.truncate', event_id: 'evt_none', item_id: 'item_missing', content_index: 0, audio_end_ms: 0 });
  t.has(await client.next('error'), { error: { code: 'item_not_found', event_id: 'evt_none' } });
});

t.test('barge-in: speech during a response cancels it with turn_detected', async (t) => {
  const slow = await startSim(t, { realtimePace: 'realtime' });
  const client = await EventClient.connect(`${slow.url.replace(/^http/, 'ws')}/openai/v1/realtime?model=gpt-realtime`, auth);
  t.teardown(() => client.close());
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'talk for a while' }] } });
  client.send({ type: 'response.create' });
  await client.next('response.output_audio.delta');
  appendPcm(client, speechThenSilence(300, 0, 24_000));
  await client.next('input_audio_buffer.speech_started');
  t.has(await client.next('response.done'), { response: { status: 'cancelled', status_details: { reason: 'turn_detected' } } });
});

t.test('a function call when the user names a declared tool, then an answer from its output', async (t) => {
  const client = await connect();
  client.send({
    type: 'session.update',
    session: { type: 'realtime', tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } }] },
  });
  await client.next('session.updated');
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'please call get_weather for Paris' }] } });
  client.send({ type: 'response.create' });
  const added = await client.next('response.output_item.added');
  t.match(added, { item: { type: /^function_call$/, name: 'get_weather', call_id: String } });
  const argsDone = await client.next('response.function_call_arguments.done');
  t.same(JSON.parse(String(argsDone.arguments)), { city: 'simulated', days: 1 });
  const done = await client.next('response.done');
  t.has(done, { response: { status: 'completed', output: [{ type: 'function_call', arguments: argsDone.arguments }] } });
  client.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: argsDone.call_id, output: '{"temp":21}' } });
  client.send({ type: 'response.create' });
  t.match(await client.next('response.output_audio_transcript.done'), { transcript: /The tool returned: \{"temp":21\}/ });
});
