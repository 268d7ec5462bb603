import { connect, type NatsConnection } from 'nats';
import t from 'tap';
import { RealtimeSubjects } from '@voxgate/protocol';
import { waitFor } from '../../../test/helpers/ports.js';
import { heardPart } from '../src/heard.js';
import { simulatorEnv } from '../../../scripts/lib/stack.js';
import { gaProblems } from './ga-events.js';
import { connectClient, startRelay, type Client } from './relay-process.js';
import { appendEvents, newest, silence, startSimulatedRelay, tone } from './simulator.js';

// Heartbeats every 200 ms instead of 30 s, so that absorbing them is actually exercised.
const stack = await startSimulatedRelay({ simEnv: { SIM_GLM_HEARTBEAT_MS: '200' } });
const nc: NatsConnection = await connect({ servers: stack.nats.url });
const published: { subject: string; data: Record<string, unknown> }[] = [];
nc.subscribe('voxgate.realtime.>', { callback: (_e, m) => void published.push({ subject: m.subject, data: m.json() }) });
await nc.flush();
t.teardown(async () => {
  await nc.close();
  await stack.stop();
});
const url = `${stack.relay.url}/v1/realtime?model=glm-realtime-flash`;

function after(client: Client, type: string, from: number, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return waitFor(`${type} after event ${from}`, () => client.events.slice(from).find((e) => e.type === type), { timeoutMs, intervalMs: 20 });
}

t.test('glm-realtime-flash behind GA: the client speaks and hears only GA', async (t) => {
  const client = await connectClient(`${url}&conversation_id=conv_glm_sim_1`);
  const created = await client.next('session.created');
  t.has(created, { session: { type: 'realtime', model: 'glm-realtime-flash', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } } } });

  const beforeUpdate = client.events.length;
  client.send({
    type: 'session.update',
    event_id: 'ev_update',
    session: {
      type: 'realtime',
      instructions: 'Answer briefly.',
      audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' }, turn_detection: { type: 'server_vad' } }, output: { voice: 'tongtong' } },
    },
  });
  const updated = await after(client, 'session.updated', beforeUpdate);
  t.has(updated, {
    session: { type: 'realtime', instructions: 'Answer briefly.', audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' }, turn_detection: { type: 'server_vad' } } } },
  });

  const frames = appendEvents(Buffer.concat([silence(200), tone(600), silence(900)]));
  const sentMs = frames.length * 20;
  // At the pace a microphone gives it: the relay's speech times are its own clock of the audio sent.
  for (const frame of frames) {
    client.send(frame);
    await new Promise((r) => setTimeout(r, 20));
  }
  const started = await client.next('input_audio_buffer.speech_started');
  const stopped = await client.next('input_audio_buffer.speech_stopped');
  // GLM sends no times: the relay's are the audio it had sent when GLM spoke, so they lie at or
  // after the tone's start (200 ms) and its end plus GLM's 500 ms of silence (1300 ms).
  t.ok((started.audio_start_ms as number) >= 200 && (started.audio_start_ms as number) <= 800, `speech starts in the tone (${started.audio_start_ms} ms)`);
  t.ok((stopped.audio_end_ms as number) >= 1300 && (stopped.audio_end_ms as number) <= sentMs, `and stops after it (${stopped.audio_end_ms} ms)`);
  const transcript = await client.next('conversation.item.input_audio_transcription.completed');
  t.match(transcript, { transcript: /simulated transcript/i });
  // GLM names no item in its speech events; the relay's id follows the utterance to its transcript.
  t.match(started.item_id, /^item_/);
  t.equal(stopped.item_id, started.item_id);
  t.equal((await client.next('input_audio_buffer.committed')).item_id, started.item_id);
  t.equal(transcript.item_id, started.item_id);
  t.has(client.events.find((e) => e.type === 'conversation.item.added'), { item: { id: started.item_id, role: 'user' } });
  const delta = await client.next('response.output_audio.delta');
  t.ok(Buffer.from(delta.delta as string, 'base64').length > 0, 'the answer carries audio');
  const done = await client.next('response.done', 20_000);
  t.match(done, { response: { status: 'completed', usage: { total_tokens: Number } } });
  const spokenText = await client.next('response.output_audio_transcript.done');
  t.match(spokenText, { transcript: /Simulated voice answer/ });
  // GLM names no assistant item; the relay makes one so that clients can play and truncate by it.
  const answerItem = (await client.next('response.output_item.added')).item as { id: string; role: string };
  t.match(answerItem, { id: /^item_/, role: 'assistant', type: /^message$/ });
  const deltas = client.events.filter((e) => e.type === 'response.output_audio.delta');
  t.ok(deltas.every((e) => e.item_id === answerItem.id), 'every audio delta names the answer item');
  t.equal(spokenText.item_id, answerItem.id);
  const types = client.events.map((e) => e.type);
  t.ok(types.indexOf('response.output_item.added') < types.indexOf('response.output_audio.delta'), 'the item is announced before its audio');
  t.has(client.events.find((e) => e.type === 'response.output_item.done'), { item: { id: answerItem.id, status: 'completed', content: [{ type: 'output_audio', transcript: spokenText.transcript }] } });
  t.ok(types.indexOf('response.output_item.done') < types.indexOf('response.done'), 'the item is done before the response');

  const sim = newest(await stack.realtime(), 'zhipu');
  t.equal(sim?.clientErrors, 0, 'GLM refused no audio and no event');
  t.ok(Math.abs((sim?.audioMsIn ?? 0) - sentMs) <= 5, `the provider got the audio as 16 kHz WAV (${sim?.audioMsIn} ms of ${sentMs} ms)`);
  t.same(sim?.ignoredFields, [], 'no GA-only field reached GLM');
  t.ok((sim?.sessionUpdates.length ?? 0) >= 2, 'the relay configured the session, then passed the client’s update on');
  for (const update of sim?.sessionUpdates ?? []) {
    t.has(update, { model: 'glm-realtime-flash', input_audio_format: 'wav', beta_fields: { chat_mode: 'audio' } }, 'GLM-shaped session.update');
    t.notOk('audio' in update || 'type' in update, 'no GA session fields');
  }
  t.has(sim?.sessionUpdates.at(-1), { instructions: 'Answer briefly.', turn_detection: { type: 'server_vad' } });

  // Items, cancel and truncate.
  const beforeItem = client.events.length;
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And the weather?' }] } });
  const added = await after(client, 'conversation.item.added', beforeItem);
  t.has(added, { item: { type: 'message', role: 'user' } });
  await after(client, 'conversation.item.done', beforeItem);
  const beforeCancel = client.events.length;
  client.send({ type: 'response.create' });
  const heard = await after(client, 'response.output_audio.delta', beforeCancel);
  client.send({ type: 'response.cancel' });
  t.has(await after(client, 'response.done', beforeCancel), { response: { status: 'cancelled' } });
  t.has(await after(client, 'response.output_item.done', beforeCancel), { item: { id: heard.item_id, status: 'incomplete' } });
  client.send({ type: 'conversation.item.truncate', event_id: 'ev_trunc', item_id: heard.item_id, content_index: 0, audio_end_ms: 40 });
  t.has(await after(client, 'conversation.item.truncated', beforeCancel), { item_id: heard.item_id, content_index: 0, audio_end_ms: 40 });
  // What OpenAI refuses, refused here too: the relay knows which items and how much audio it sent.
  const refusals: [Record<string, unknown>, string, string][] = [
    [{ item_id: 'item_that_never_was', content_index: 0, audio_end_ms: 0 }, 'item_not_found', 'item_id'],
    [{ item_id: heard.item_id, content_index: 5, audio_end_ms: 0 }, 'invalid_value', 'content_index'],
    [{ item_id: heard.item_id, content_index: 0, audio_end_ms: 999_999 }, 'invalid_value', 'audio_end_ms'],
    // Once cut at 40 ms, the item's audio is 40 ms long.
    [{ item_id: heard.item_id, content_index: 0, audio_end_ms: 41 }, 'invalid_value', 'audio_end_ms'],
  ];
  for (const [fields, code, param] of refusals) {
    const before = client.events.length;
    client.send({ type: 'conversation.item.truncate', event_id: `ev_bad_${param}`, ...fields });
    t.has(await after(client, 'error', before), { error: { type: 'invalid_request_error', code, param, event_id: `ev_bad_${param}` } }, `${code} for ${JSON.stringify(fields)}`);
  }
  t.equal(client.events.filter((e) => e.type === 'conversation.item.truncated').length, 1, 'only the honest truncate was confirmed');
  await new Promise((r) => setTimeout(r, 300));

  const seen = new Set(client.events.map((e) => e.type as string));
  t.same([...new Set(client.events.flatMap(gaProblems))], [], 'every event the client saw is a GA event with the fields GA requires');
  t.notOk(seen.has('heartbeat'), 'heartbeats are absorbed');
  t.notOk(seen.has('response.audio.delta'), 'no beta audio deltas');
  t.same(client.events.filter((e) => e.type === 'error').map((e) => (e.error as { code: string }).code), ['item_not_found', 'invalid_value', 'invalid_value', 'invalid_value'], 'no errors but the refused truncates');
  t.equal(newest(await stack.realtime(), 'zhipu')?.clientErrors, 0, 'GLM never saw a truncate or anything else it refuses');

  const usage = await waitFor('usage event', () => published.find((p) => p.subject === RealtimeSubjects.usage && p.data.conversationId === 'conv_glm_sim_1'));
  t.has(usage.data, { provider: 'zhipu', model: 'glm-realtime-flash', totalTokens: (done.response as { usage: { total_tokens: number } }).usage.total_tokens });
  const transcripts = () =>
    published
      .filter((p) => p.subject === RealtimeSubjects.transcript && p.data.conversationId === 'conv_glm_sim_1')
      .map((p) => [p.data.role, (p.data.pii as { text: string }).text, p.data.itemId]);
  await waitFor('the first exchange', () => (transcripts().length >= 2 ? true : undefined));
  // The first answer was settled by the typed item after it; the cut one may still be truncated until the session ends.
  t.same(transcripts(), [
    ['user', transcript.transcript, started.item_id],
    ['assistant', spokenText.transcript, answerItem.id],
  ]);
  // Many round trips through GLM later: a second session.updated (the relay's own opening update's) would be here.
  t.equal(client.events.filter((e) => e.type === 'session.updated').length, 1, 'one session.updated, the answer to the client’s update');

  const cut = client.events.slice(beforeCancel);
  const cutSaid = (cut.find((e) => e.type === 'response.output_audio_transcript.done' && e.item_id === heard.item_id)?.transcript as string | undefined) ?? '';
  const cutAudioMs = cut.filter((e) => e.type === 'response.output_audio.delta' && e.item_id === heard.item_id).reduce((ms, e) => ms + Buffer.from(e.delta as string, 'base64').length / 48, 0);
  const cutHeard = heardPart(cutSaid, 40, cutAudioMs);
  client.ws.close();
  const closedAt = Date.now();
  await waitFor('the provider session closed', async () => ((await stack.realtime()).open.total === 0 ? true : undefined), { timeoutMs: 1_000, intervalMs: 25 });
  t.ok(Date.now() - closedAt <= 1_000, 'the provider socket closed within a second of the client');
  // At the session's end the cut answer is written as far as it was heard; nothing at all if that is no word.
  if (cutHeard.trim() === '') {
    await new Promise((r) => setTimeout(r, 300));
    t.equal(transcripts().length, 2, `"${cutSaid}" cut at 40 of ${cutAudioMs} ms holds no whole word: not written`);
  } else {
    const third = await waitFor('the cut answer', () => transcripts()[2]);
    t.same(third, ['assistant', cutHeard, heard.item_id], `"${cutSaid}" cut at 40 of ${cutAudioMs} ms`);
  }
});

t.test('a GLM function call reaches the client as a GA function_call item, and its output is answered', async (t) => {
  const client = await connectClient(`${url}&conversation_id=conv_glm_tool_1`);
  await client.next('session.created');
  const weather = { type: 'function', name: 'get_weather', description: 'the weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
  client.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } }, tools: [weather] } });
  await client.next('session.updated');
  const from = client.events.length;
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Please call get_weather for Paris.' }] } });
  await after(client, 'conversation.item.done', from);
  client.send({ type: 'response.create' });
  const done = await after(client, 'response.done', from);
  const events = client.events.slice(from);
  const response = done.response as { id: string; status: string; output: Record<string, unknown>[] };
  t.equal(response.status, 'completed');
  t.equal(response.output.length, 1, 'the response names its one output item');
  const call = response.output[0] as { id: string; type: string; call_id: string; name: string; arguments: string; status: string };
  t.has(call, { type: 'function_call', name: 'get_weather', arguments: '{"city":"simulated"}', status: 'completed' });
  t.match(call.call_id, /^call_/);
  // The order a GA client (openai-agents, the SDK's examples) follows to run the tool.
  const sequence = events.filter((e) => e.type !== 'conversation.item.added' || (e.item as { id?: string }).id === call.id).map((e) => e.type);
  t.same(sequence.slice(sequence.indexOf('response.created')), [
    'response.created',
    'response.output_item.added',
    'conversation.item.added',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.done',
    'response.output_item.done',
    'conversation.item.done',
    'response.done',
  ]);
  const argsDone = events.find((e) => e.type === 'response.function_call_arguments.done');
  t.has(argsDone, { response_id: response.id, item_id: call.id, output_index: 0, call_id: call.call_id, name: 'get_weather', arguments: call.arguments });
  t.has(events.find((e) => e.type === 'response.output_item.added'), { response_id: response.id, output_index: 0, item: { id: call.id, type: 'function_call', status: 'in_progress' } });
  t.has(events.find((e) => e.type === 'conversation.item.done' && (e.item as { id?: string }).id === call.id), { item: { type: 'function_call', call_id: call.call_id, arguments: call.arguments } });
  t.same([...new Set(events.flatMap(gaProblems))], [], 'every event has the fields GA requires');
  const beforeTruncate = client.events.length;
  client.send({ type: 'conversation.item.truncate', item_id: call.id, content_index: 0, audio_end_ms: 0 });
  t.has(await after(client, 'error', beforeTruncate), { error: { code: 'invalid_value', param: 'item_id' } }, 'a function call has no audio to truncate');

  const answerFrom = client.events.length;
  client.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: '{"sky":"clear"}' } });
  t.has(await after(client, 'conversation.item.done', answerFrom), { item: { type: 'function_call_output', call_id: call.call_id, output: '{"sky":"clear"}' } }, 'the tool result keeps its call id');
  client.send({ type: 'response.create' });
  const answered = await after(client, 'response.done', answerFrom, 20_000);
  t.has(answered, { response: { status: 'completed', output: [{ type: 'message', role: 'assistant' }] } });
  t.match(await after(client, 'response.output_audio_transcript.done', answerFrom), { transcript: /The tool returned: \{"sky":"clear"\}/ });
  t.equal(client.events.filter((e) => e.type === 'error').length, 1, 'no error but the refused truncate');
  client.ws.close();
  await client.closed;
});

t.test('a GLM answer the user cut off goes to the history as far as it was heard', async (t) => {
  const client = await connectClient(`${url}&conversation_id=conv_glm_cut_1`);
  await client.next('session.created');
  client.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
  await client.next('session.updated');
  const from = client.events.length;
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me about the sea.' }] } });
  client.send({ type: 'response.create' });
  await after(client, 'response.done', from, 20_000);
  const events = client.events.slice(from);
  const audioMs = events.filter((e) => e.type === 'response.output_audio.delta').reduce((ms, e) => ms + Buffer.from(e.delta as string, 'base64').length / 48, 0);
  const spoken = events.find((e) => e.type === 'response.output_audio_transcript.done') as { item_id: string; transcript: string };
  const heardMs = Math.round(audioMs / 2);
  client.send({ type: 'conversation.item.truncate', item_id: spoken.item_id, content_index: 0, audio_end_ms: heardMs });
  await after(client, 'conversation.item.truncated', from);
  const written = () => published.filter((p) => p.subject === RealtimeSubjects.transcript && p.data.conversationId === 'conv_glm_cut_1' && p.data.role === 'assistant');
  t.same(written(), [], 'the answer waits while it may still be truncated');
  // The next input: the answer can no longer be truncated.
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Go on.' }] } });
  const answer = ((await waitFor('the answer written', () => written()[0])).data.pii as { text: string }).text;
  t.equal(answer, heardPart(spoken.transcript, heardMs, audioMs), `the heard half of "${spoken.transcript}"`);
  t.ok(answer !== '' && answer.length < spoken.transcript.length && spoken.transcript.startsWith(answer), `a start of it: "${answer}"`);
  const jsm = await nc.jetstreamManager();
  const stored = await waitFor('history', async () => {
    try {
      return await jsm.streams.getMessage('VOXGATE_HISTORY', { last_by_subj: 'voxgate.history.conv_glm_cut_1' });
    } catch {
      return undefined;
    }
  });
  // Typed user items are not history text (a reconnecting page re-seeds with the same event); the answer is what counts here.
  t.has(stored.json(), { answer });
  client.ws.close();
  await client.closed;
});

t.test('what GA refuses or GLM cannot honour is refused, and nothing of it reaches GLM', async (t) => {
  const client = await connectClient(url);
  await client.next('session.created');
  const cases: [string, Record<string, unknown>, string, string][] = [
    // The beta shape: GA answers unknown_parameter for its first field.
    ['beta session', { type: 'session.update', session: { modalities: ['audio', 'text'], voice: 'alloy', turn_detection: null, input_audio_format: 'pcm16' } }, 'invalid_event', 'session.modalities'],
    ['no session.type', { type: 'session.update', session: { instructions: 'Be brief.' } }, 'invalid_event', 'session.type'],
    ['transcription session', { type: 'session.update', session: { type: 'transcription' } }, 'unsupported_session_option', 'session.type'],
    ['create_response false', { type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', create_response: false } } } } }, 'unsupported_session_option', 'session.audio.input.turn_detection.create_response'],
    ['interrupt_response false', { type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', interrupt_response: false } } } } }, 'unsupported_session_option', 'session.audio.input.turn_detection.interrupt_response'],
    ['a VAD threshold', { type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', threshold: 0.8 } } } } }, 'unsupported_session_option', 'session.audio.input.turn_detection.threshold'],
    ['tool_choice required', { type: 'session.update', session: { type: 'realtime', tool_choice: 'required' } }, 'unsupported_session_option', 'session.tool_choice'],
    ['an MCP tool', { type: 'session.update', session: { type: 'realtime', tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://example.com' }] } }, 'unsupported_session_option', 'session.tools[0]'],
    ['G.711 output', { type: 'session.update', session: { type: 'realtime', audio: { output: { format: { type: 'audio/pcmu' } } } } }, 'unsupported_session_option', 'session.audio.output.format'],
    ['another model', { type: 'session.update', session: { type: 'realtime', model: 'glm-realtime-air' } }, 'invalid_event', 'session.model'],
    ['an out-of-band text response', { type: 'response.create', response: { conversation: 'none', instructions: 'Say hi.', output_modalities: ['text'] } }, 'unsupported_event', 'response.conversation'],
    ['response instructions', { type: 'response.create', response: { instructions: 'Say hi.' } }, 'unsupported_event', 'response.instructions'],
    ['a text response', { type: 'response.create', response: { output_modalities: ['text'] } }, 'unsupported_event', 'response.output_modalities'],
  ];
  const before = newest(await stack.realtime(), 'zhipu');
  for (const [what, event, code, param] of cases) {
    const from = client.events.length;
    client.send({ ...event, event_id: `ev_${param}` });
    t.has(await after(client, 'error', from), { error: { type: 'invalid_request_error', code, param, event_id: `ev_${param}` } }, `${what}: ${code} on ${param}`);
  }
  // A round trip through GLM behind all of them: anything that had reached GLM would show by now.
  const marker = client.events.length;
  client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'marker' } });
  await after(client, 'session.updated', marker);
  const sim = newest(await stack.realtime(), 'zhipu');
  t.equal(sim?.clientEvents, (before?.clientEvents ?? 0) + 1, 'GLM received the marker and nothing else');
  t.notOk(client.events.some((e) => e.type === 'response.created'), 'no response was started');
  t.equal(client.events.filter((e) => e.type === 'session.updated').length, 1, 'only the marker was applied');

  const from = client.events.length;
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello.' }] } });
  client.send({ type: 'response.create', response: { conversation: 'auto', output_modalities: ['audio'], metadata: { topic: 'greeting' } } });
  t.has(await after(client, 'response.created', from), { response: { metadata: { topic: 'greeting' } } }, 'metadata is the relay’s to echo');
  t.has(await after(client, 'response.done', from, 20_000), { response: { status: 'completed', metadata: { topic: 'greeting' } } });
  client.ws.close();
  await client.closed;
});

t.test('a dropped GLM connection closes the client with an error event', async (t) => {
  await stack.fault({ provider: 'zhipu', kind: 'realtime_drop_after_ms', delayMs: 500 });
  const client = await connectClient(url);
  await client.next('session.created');
  const closed = await client.closed;
  t.equal(closed.code, 1011);
  t.has(client.events.find((e) => e.type === 'error'), { error: { code: 'provider_disconnected' } });
  t.equal((await stack.realtime()).open.total, 0);
});

t.test('a GLM refusal is a clear error', async (t) => {
  await stack.fault({ provider: 'zhipu', kind: 'realtime_refuse', statusCode: 503 });
  const client = await connectClient(url);
  const closed = await client.closed;
  t.equal(closed.code, 1011);
  t.match(client.events.find((e) => e.type === 'error'), { error: { code: 'provider_unavailable', type: 'server_error', message: /HTTP 503\): .+/ } }, 'the status and the provider message');
});

t.test('GLM heartbeats do not keep an idle session open', async (t) => {
  const idle = await startRelay({ NATS_URL: stack.nats.url, ...simulatorEnv(stack.sim.url), RELAY_IDLE_TIMEOUT_MS: '1500' });
  t.teardown(() => idle.proc.stop());
  const client = await connectClient(`${idle.url}/v1/realtime?model=glm-realtime-flash`);
  await client.next('session.created');
  // The simulator sends a heartbeat every 200 ms; the client and the model say nothing.
  const error = await client.next('error', 5_000);
  t.has(error, { error: { code: 'idle_timeout' } });
  t.equal((await client.closed).code, 1000);
});
