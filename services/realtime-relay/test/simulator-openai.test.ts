import t from 'tap';
import { waitFor } from '../../../test/helpers/ports.js';
import { connectClient, type Client } from './relay-process.js';
import { appendEvents, newest, silence, startSimulatedRelay, tone } from './simulator.js';

// The real provider simulator at its default (real-time) pace, as OpenAI sends audio.
const stack = await startSimulatedRelay();
t.teardown(() => stack.stop());
const url = `${stack.relay.url}/v1/realtime?model=gpt-realtime`;

/** The first event of `type` received after the first `from` events. */
function after(client: Client, type: string, from: number, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return waitFor(`${type} after event ${from}`, () => client.events.slice(from).find((e) => e.type === type), { timeoutMs, intervalMs: 20 });
}

t.test('gpt-realtime passes through: session, speech, transcript, audio answer, items, cancel, truncate', async (t) => {
  const client = await connectClient(url);
  const created = await client.next('session.created');
  t.has(created, { session: { type: 'realtime', model: 'gpt-realtime', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } } } });

  client.send({
    type: 'session.update',
    event_id: 'ev_update',
    session: {
      type: 'realtime',
      instructions: 'Answer briefly.',
      audio: {
        input: { transcription: { model: 'gpt-4o-mini-transcribe' }, turn_detection: { type: 'server_vad', silence_duration_ms: 300 } },
        output: { voice: 'marin' },
      },
    },
  });
  const updated = await client.next('session.updated');
  t.has(updated, { session: { audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' } }, output: { voice: 'marin' } } } });
  t.notOk(client.events.some((e) => e.type === 'error'), 'the GA session.update was taken as is');

  // 600 ms of "speech", then 800 ms of silence, in 20 ms frames as a microphone sends them.
  const frames = appendEvents(Buffer.concat([silence(200), tone(600), silence(800)]));
  let sentBytes = 0;
  for (const frame of frames) {
    client.send(frame);
    sentBytes += Buffer.from((JSON.parse(frame) as { audio: string }).audio, 'base64').length;
  }
  const started = await client.next('input_audio_buffer.speech_started');
  const stopped = await client.next('input_audio_buffer.speech_stopped');
  t.ok((stopped.audio_end_ms as number) > (started.audio_start_ms as number), 'speech stops after it started');
  const transcript = await client.next('conversation.item.input_audio_transcription.completed');
  t.match(transcript, { item_id: started.item_id, transcript: /simulated transcript/i });
  const delta = await client.next('response.output_audio.delta');
  t.ok(Buffer.from(delta.delta as string, 'base64').length > 0, 'the answer carries audio');
  const done = await client.next('response.done', 20_000);
  t.match(done, { response: { status: 'completed', usage: { total_tokens: Number } } });
  t.ok(client.events.some((e) => e.type === 'response.output_audio_transcript.done'), 'the answer transcript arrived');

  const sim = newest(await stack.realtime(), 'openai');
  t.equal(sim?.audioBytesIn, sentBytes, 'every audio byte the client sent reached the provider');
  t.equal(sim?.clientErrors, 0, 'the provider refused nothing');
  t.has(sim?.sessionUpdates.at(-1), { type: 'realtime', audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' } } } });

  const beforeItem = client.events.length;
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And the weather?' }] } });
  const added = await after(client, 'conversation.item.added', beforeItem);
  t.has(added, { item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And the weather?' }] } });

  // Barge-in: a response is cancelled after its first audio, then the heard part is kept.
  const beforeCancel = client.events.length;
  client.send({ type: 'response.create' });
  const firstDelta = await after(client, 'response.output_audio.delta', beforeCancel);
  client.send({ type: 'response.cancel' });
  const cancelled = await after(client, 'response.done', beforeCancel);
  t.has(cancelled, { response: { status: 'cancelled' } });
  client.send({ type: 'conversation.item.truncate', item_id: firstDelta.item_id, content_index: 0, audio_end_ms: 20 });
  const truncated = await after(client, 'conversation.item.truncated', beforeCancel);
  t.match(truncated, { item_id: firstDelta.item_id, content_index: 0, audio_end_ms: 20 });
  t.notOk(client.events.slice(beforeItem).some((e) => e.type === 'error'), 'no errors on the way');

  client.ws.close();
  const closedAt = Date.now();
  await waitFor('the provider session closed', async () => ((await stack.realtime()).open.total === 0 ? true : undefined), { timeoutMs: 1_000, intervalMs: 25 });
  t.ok(Date.now() - closedAt <= 1_000, 'the provider socket closed within a second of the client');
});

t.test('the provider closing first closes the client within a second', async (t) => {
  await stack.fault({ provider: 'openai', kind: 'realtime_drop_after_ms', delayMs: 800 });
  const client = await connectClient(url);
  await client.next('session.created');
  const openedAt = Date.now();
  const closed = await client.closed;
  const afterMs = Date.now() - openedAt;
  t.ok(afterMs < 800 + 1_000, `closed ${afterMs} ms after open (cut at 800 ms)`);
  t.equal(closed.code, 1011, 'an abnormal provider close is 1011 toward the client');
  const error = client.events.find((e) => e.type === 'error');
  t.has(error, { error: { type: 'server_error', code: 'provider_disconnected' } }, 'the client is told why');
  await waitFor('no provider session left', async () => ((await stack.realtime()).open.total === 0 ? true : undefined), { timeoutMs: 1_000 });
});

t.test('a provider that refuses the upgrade gives the client a clear error', async (t) => {
  await stack.fault({ provider: 'openai', kind: 'realtime_refuse', statusCode: 429, retryAfterSeconds: 3 });
  const client = await connectClient(url);
  const closed = await client.closed;
  const error = client.events.find((e) => e.type === 'error') as { error: { code: string; message: string; type: string } } | undefined;
  t.equal(error?.error.code, 'provider_unavailable');
  t.equal(error?.error.type, 'rate_limit_error', 'a 429 is a rate limit');
  t.match(error?.error.message, /HTTP 429, retry after 3 s\): .+/, 'the provider status, its message and when to retry are named');
  t.equal(closed.code, 1011);
  t.equal((await stack.realtime()).open.total, 0);
});
