import { connect, type NatsConnection } from 'nats';
import t from 'tap';
import { RealtimeSubjects } from '@voxgate/protocol';
import { startNatsServer } from '../../../test/helpers/nats-server.js';
import { waitFor } from '../../../test/helpers/ports.js';
import { bytesFromPcm16, PcmResampler, pcm16FromBytes } from '../src/audio/resample.js';
import { FAKE_DELTA, startFakeProvider } from './fake-provider.js';
import { connectClient, refusedUpgrade, startRelay } from './relay-process.js';

const nats = await startNatsServer();
const provider = await startFakeProvider();
const relay = await startRelay({
  NATS_URL: nats.url,
  OPENAI_API_KEY: 'sk-test-openai',
  OPENAI_REALTIME_URL: `${provider.wsUrl}/openai/v1/realtime`,
  ZHIPU_API_KEY: 'zhipu-test-key',
  ZHIPU_REALTIME_URL: `${provider.wsUrl}/zhipu/api/paas/v4/realtime`,
});
const nc: NatsConnection = await connect({ servers: nats.url });
const published: { subject: string; data: Record<string, unknown> }[] = [];
nc.subscribe('voxgate.realtime.>', { callback: (_e, m) => void published.push({ subject: m.subject, data: m.json() }) });
await nc.flush();

t.teardown(async () => {
  await nc.close();
  await relay.proc.stop();
  await provider.close();
  await nats.dispose();
});

const lastProviderSocket = () => provider.sockets.at(-1);

t.test('OpenAI passthrough: events flow both ways, audio byte-identical', async (t) => {
  const client = await connectClient(`${relay.url}/v1/realtime?model=gpt-realtime&conversation_id=conv_passthrough1`);
  await client.next('session.created');
  const upstream = lastProviderSocket();
  t.equal(upstream?.url, '/openai/v1/realtime?model=gpt-realtime', 'the provider URL comes from config plus the model');
  t.equal(upstream?.authorization, 'Bearer sk-test-openai', 'the server key is sent to the provider');

  const append = `{"type":"input_audio_buffer.append","event_id":"ev_a","audio":"${Buffer.alloc(4800, 3).toString('base64')}"}`;
  client.send(append);
  client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'be brief', audio: { output: { voice: 'marin' } } } });
  client.send({ type: 'response.create', response: { metadata: { deltas: '5' } } });
  await client.next('response.done');
  t.equal(upstream?.frames[0], append, 'the append frame reached the provider byte for byte');
  const deltas = client.raw.filter((r) => r.includes('"response.output_audio.delta"'));
  t.equal(deltas.length, 5);
  t.equal(
    deltas[0],
    `{"type":"response.output_audio.delta","event_id":"ev_d0","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"${FAKE_DELTA}"}`,
    'audio deltas reach the client byte for byte',
  );

  // The next input: the answer can no longer be truncated, so it goes to the history.
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'thanks' }] } });
  const usage = await waitFor('usage event', () => published.find((p) => p.subject === RealtimeSubjects.usage));
  t.has(usage.data, { model: 'gpt-realtime', provider: 'openai', conversationId: 'conv_passthrough1', inputTokens: 10, outputTokens: 20, totalTokens: 30 });
  const transcripts = await waitFor('transcripts', () => {
    const found = published.filter((p) => p.subject === RealtimeSubjects.transcript);
    return found.length >= 2 ? found : undefined;
  });
  t.same(transcripts.map((p) => [p.data.role, (p.data.pii as { text: string }).text]), [['user', 'hello there'], ['assistant', 'general kenobi']]);
  t.notOk(relay.lines.some((l) => l.includes('sk-test-openai') || l.includes('general kenobi')), 'no key and no transcript in the logs');

  // History: the exchange is stored the way llm-text stores text turns.
  const js = nc.jetstream();
  const kv = await js.views.kv('voxgate-conversations');
  const summary = await waitFor('conversation summary', async () => (await kv.get('conv_passthrough1'))?.json<{ title: string; model: string }>());
  t.has(summary, { title: 'hello there', model: 'gpt-realtime' });
  const jsm = await nc.jetstreamManager();
  const stored = await jsm.streams.getMessage('VOXGATE_HISTORY', { last_by_subj: 'voxgate.history.conv_passthrough1' });
  t.has(stored.json(), { answer: 'general kenobi', user: { role: 'user', content: [{ type: 'text', text: 'hello there' }] }, status: 'done' });

  client.ws.close();
  const closedAt = Date.now();
  await waitFor('provider socket closed', () => (upstream?.socket.readyState === upstream?.socket.CLOSED ? true : undefined), { timeoutMs: 1_000, intervalMs: 20 });
  t.ok(Date.now() - closedAt <= 1_000, 'the provider socket closes within a second of the client');
  const closed = await waitFor('closed event', () => published.find((p) => p.subject === RealtimeSubjects.sessionClosed && p.data.conversationId === 'conv_passthrough1'));
  t.has(closed.data, { reason: 'client_closed', model: 'gpt-realtime', provider: 'openai' });
  t.ok(published.some((p) => p.subject === RealtimeSubjects.sessionOpened && p.data.conversationId === 'conv_passthrough1'));
});

t.test('OpenAI passthrough: a truncated answer goes to the history as far as it was heard', async (t) => {
  const client = await connectClient(`${relay.url}/v1/realtime?model=gpt-realtime&conversation_id=conv_passthrough_cut`);
  await client.next('session.created');
  client.send({ type: 'response.create', response: { metadata: { deltas: '5' } } });
  await client.next('response.done');
  // Five 20 ms deltas of item_1 ("general kenobi"); the user heard 50 of its 100 ms.
  client.send({ type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 50 });
  await client.next('conversation.item.truncated');
  const assistant = () => published.filter((p) => p.subject === RealtimeSubjects.transcript && p.data.conversationId === 'conv_passthrough_cut' && p.data.role === 'assistant');
  await new Promise((r) => setTimeout(r, 200));
  t.same(assistant(), [], 'not written while the answer may still be truncated');
  client.ws.close();
  await client.closed;
  const written = await waitFor('the answer written at the end', () => assistant()[0]);
  t.equal((written.data.pii as { text: string }).text, 'general', 'the half that was heard');
  const jsm = await nc.jetstreamManager();
  const stored = await waitFor('history', async () => {
    try {
      return await jsm.streams.getMessage('VOXGATE_HISTORY', { last_by_subj: 'voxgate.history.conv_passthrough_cut' });
    } catch {
      return undefined;
    }
  });
  t.has(stored.json(), { answer: 'general', user: { role: 'user', content: [{ type: 'text', text: 'hello there' }] } });
  t.equal(client.raw.filter((r) => r.includes('"response.output_audio.delta"')).length, 5, 'the audio still passed through');
});

t.test('GLM: events renamed, audio resampled to 16 kHz WAV, truncate answered locally, heartbeats absorbed', async (t) => {
  const client = await connectClient(`${relay.url}/v1/realtime?model=glm-realtime-flash`);
  const created = await client.next('session.created');
  t.has(created, { session: { type: 'realtime', model: 'glm-realtime-flash', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } } } });
  const upstream = lastProviderSocket();
  t.equal(upstream?.kind, 'glm');
  t.equal(upstream?.authorization, 'Bearer zhipu-test-key');
  const first = JSON.parse(upstream?.frames[0] ?? '{}');
  t.has(first, { type: 'session.update', session: { model: 'glm-realtime-flash', input_audio_format: 'wav', turn_detection: { type: 'server_vad' }, beta_fields: { chat_mode: 'audio' } } });

  client.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      instructions: 'short answers',
      audio: { input: { turn_detection: null }, output: { voice: 'tongtong' } },
      tools: [{ type: 'function', name: 'get_time', description: 'now', parameters: { type: 'object', properties: {} } }],
    },
  });
  // 100 ms of 24 kHz audio in 20 ms frames.
  for (let i = 0; i < 5; i++) client.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(960).toString('base64') });
  client.send({ type: 'response.create' });
  await client.next('response.done');
  // The answer's item is GLM's own `item_g`, with three 20 ms deltas.
  client.send({ type: 'conversation.item.truncate', event_id: 'ev_t', item_id: 'item_g', content_index: 0, audio_end_ms: 30 });
  const truncated = await client.next('conversation.item.truncated');
  t.has(truncated, { item_id: 'item_g', content_index: 0, audio_end_ms: 30 });

  const sent = (upstream?.frames ?? []).map((f) => JSON.parse(f) as Record<string, unknown>);
  const update = sent.find((e, i) => i > 0 && e.type === 'session.update');
  t.has(update, {
    session: { instructions: 'short answers', voice: 'tongtong', turn_detection: { type: 'client_vad' }, tools: [{ type: 'function', name: 'get_time' }] },
  });
  t.notOk((update?.session as { tools?: { function?: unknown }[] } | undefined)?.tools?.[0]?.function, 'tools stay flat');
  const appends = sent.filter((e) => e.type === 'input_audio_buffer.append');
  t.equal(appends.length, 5);
  const wav = Buffer.from(appends[1]?.audio as string, 'base64');
  t.equal(wav.toString('latin1', 0, 4), 'RIFF');
  t.equal(wav.readUInt32LE(24), 16_000, 'WAV at 16 kHz');
  const samples = appends.reduce((n, e) => n + (Buffer.from(e.audio as string, 'base64').length - 44) / 2, 0);
  t.ok(Math.abs(samples - 1_600) <= 2, `100 ms became ~1600 samples at 16 kHz (got ${samples})`);
  t.notOk(sent.some((e) => e.type === 'conversation.item.truncate'), 'truncate never reaches GLM');

  const types = client.events.map((e) => e.type);
  t.notOk(types.includes('heartbeat'), 'heartbeats are absorbed');
  t.ok(types.includes('response.output_audio.delta'));
  t.notOk(types.includes('response.audio.delta'));
  t.ok(types.includes('response.output_audio_transcript.done'));
  t.ok(types.indexOf('conversation.item.added') < types.indexOf('conversation.item.done'), 'item.created became added + done');
  t.equal(client.events.find((e) => e.type === 'response.output_audio.delta')?.delta, FAKE_DELTA, 'output audio passes at 24 kHz');
  client.ws.close();
  await client.closed;
});

t.test('GLM: input_audio_buffer.clear starts the next utterance with a fresh resampler and no carried byte', async (t) => {
  const client = await connectClient(`${relay.url}/v1/realtime?model=glm-realtime-flash`);
  await client.next('session.created');
  const upstream = lastProviderSocket();
  const loud = Buffer.alloc(961);
  for (let i = 0; i + 1 < loud.length; i += 2) loud.writeInt16LE(i % 4 === 0 ? 30_000 : -30_000, i);
  // 961 bytes: the last one waits for its sample's other half, and the filter is full of a loud tone.
  client.send({ type: 'input_audio_buffer.append', audio: loud.toString('base64') });
  client.send({ type: 'input_audio_buffer.clear' });
  const next = Buffer.alloc(960);
  for (let i = 0; i < next.length; i += 2) next.writeInt16LE(Math.round(8_000 * Math.sin(i / 20)), i);
  client.send({ type: 'input_audio_buffer.append', audio: next.toString('base64') });
  const appends = await waitFor('two appends at the provider', () => {
    const found = (upstream?.frames ?? []).map((f) => JSON.parse(f) as Record<string, unknown>).filter((e) => e.type === 'input_audio_buffer.append');
    return found.length === 2 ? found : undefined;
  });
  const wav = Buffer.from(appends[1]?.audio as string, 'base64');
  const fresh = bytesFromPcm16(new PcmResampler(24_000, 16_000).process(pcm16FromBytes(next)));
  t.same(wav.subarray(44), fresh, 'the audio after clear resamples as if the session had just begun');
  client.ws.close();
  await client.closed;
});

t.test('GLM: content sent after its response.done is dropped and counted, not a new assistant item', async (t) => {
  const client = await connectClient(`${relay.url}/v1/realtime?model=glm-realtime-flash`);
  await client.next('session.created');
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'bye [late audio]' }] } });
  client.send({ type: 'response.create' });
  await client.next('response.done');
  // A provider round trip behind the late frames: whatever they became has reached the client by its answer.
  client.send({ type: 'session.update', session: { type: 'realtime', instructions: 'marker' } });
  await client.next('session.updated');
  const types = client.events.map((e) => e.type);
  t.same(types.slice(types.indexOf('response.done') + 1), ['session.updated'], 'nothing between response.done and the marker');
  const added = client.events.filter((e) => e.type === 'conversation.item.added' && (e.item as { role?: string }).role === 'assistant').map((e) => (e.item as { id: string }).id);
  t.equal(added.length, 1, 'one assistant item');
  t.ok(client.events.some((e) => e.type === 'conversation.item.done' && (e.item as { id?: string }).id === added[0]), 'and it was closed');
  client.ws.close();
  await client.closed;
  const logged = await waitFor('the count in the log', () => relay.lines.find((l) => l.includes('"lateProviderEvents":2')));
  t.ok(logged, 'two late events counted');
});

t.test('bad input gets GA error events while another session keeps working', async (t) => {
  const bystander = await connectClient(`${relay.url}/v1/realtime?model=gpt-realtime`);
  const client = await connectClient(`${relay.url}/v1/realtime?model=gpt-realtime`);
  await client.next('session.created');
  const cases: [string | Buffer, string][] = [
    ['hello, not json', 'invalid_json'],
    [JSON.stringify({ type: 'no.such.event', event_id: 'ev_x' }), 'unknown_event_type'],
    [JSON.stringify({ type: 'input_audio_buffer.append', audio: 'not base64!' }), 'invalid_audio'],
    [JSON.stringify({ type: 'input_audio_buffer.append', audio: 'abc' }), 'invalid_audio'],
    [Buffer.from([1, 2, 3]), 'binary_frame_unsupported'],
    [JSON.stringify({ type: 'input_audio_buffer.append', audio: 'A'.repeat(1_100_000) }), 'frame_too_large'],
    [JSON.stringify({ type: 'conversation.item.truncate', item_id: 'x' }), 'invalid_event'],
  ];
  for (const [frame, code] of cases) {
    const before = client.events.filter((e) => e.type === 'error').length;
    client.ws.send(frame, { binary: Buffer.isBuffer(frame) });
    const error = await waitFor(code, () => client.events.filter((e) => e.type === 'error')[before]);
    t.has(error, { type: 'error', error: { type: 'invalid_request_error', code } }, code);
  }
  t.has(client.events.find((e) => (e.error as { code?: string } | undefined)?.code === 'unknown_event_type'), { error: { event_id: 'ev_x' } });
  t.equal(client.ws.readyState, client.ws.OPEN, 'the session stays open');
  bystander.send({ type: 'response.create', response: { metadata: { deltas: '1' } } });
  await bystander.next('response.done');
  t.pass('the other session still works');
  client.ws.close();
  bystander.ws.close();
});

t.test('upgrade refusals', async (t) => {
  const unknown = await refusedUpgrade(`${relay.url}/v1/realtime?model=gpt-4o`);
  t.equal(unknown.status, 404);
  t.equal(unknown.body.error.code, 'unknown_model');
  const missing = await refusedUpgrade(`${relay.url}/v1/realtime`);
  t.equal(missing.status, 400);
  const badConversation = await refusedUpgrade(`${relay.url}/v1/realtime?model=gpt-realtime&conversation_id=../x`);
  t.equal(badConversation.status, 400);
  const elsewhere = await refusedUpgrade(`${relay.url}/v2/other?model=gpt-realtime`);
  t.equal(elsewhere.status, 404);
});
