import { connect } from 'nats';
import t from 'tap';
import { RealtimeSubjects } from '@voxgate/protocol';
import { startNatsServer } from '../../../test/helpers/nats-server.js';
import { waitFor } from '../../../test/helpers/ports.js';
import { FAKE_DELTA, startFakeProvider } from './fake-provider.js';
import { connectClient, refusedUpgrade, startRelay } from './relay-process.js';

const nats = await startNatsServer();
const provider = await startFakeProvider();
const relay = await startRelay({
  NATS_URL: nats.url,
  OPENAI_API_KEY: 'sk-test-openai',
  OPENAI_REALTIME_URL: `${provider.wsUrl}/openai/v1/realtime`,
  RELAY_MAX_SESSIONS: '2',
  RELAY_MAX_SESSION_MS: '7000',
  RELAY_IDLE_TIMEOUT_MS: '1500',
  RELAY_CLIENT_BUFFER_MAX_BYTES: '16384',
});
const nc = await connect({ servers: nats.url });
t.teardown(async () => {
  await nc.close();
  await relay.proc.stop();
  await provider.close();
  await nats.dispose();
});
const url = `${relay.url}/v1/realtime?model=gpt-realtime`;


t.test('beyond RELAY_MAX_SESSIONS the upgrade is refused with 503', async (t) => {
  const a = await connectClient(url);
  const b = await connectClient(url);
  const third = await refusedUpgrade(url);
  t.equal(third.status, 503);
  t.equal(third.body.error.code, 'relay_full');
  a.ws.close();
  b.ws.close();
  await Promise.all([a.closed, b.closed]);
});

t.test('an idle session is closed with an idle_timeout event', async (t) => {
  const client = await connectClient(url);
  const error = await client.next('error', 4_000);
  t.has(error, { error: { code: 'idle_timeout' } });
  t.equal((await client.closed).code, 1000);
});

t.test('the maximum length is announced with session_expired, then 1001', async (t) => {
  const client = await connectClient(url);
  // Activity every 500 ms keeps the idle timer away; only the length limit can end it.
  const keepAlive = setInterval(() => client.send({ type: 'input_audio_buffer.clear' }), 500);
  const error = await client.next('error', 9_000);
  clearInterval(keepAlive);
  t.has(error, { error: { code: 'session_expired' } });
  t.equal((await client.closed).code, 1001);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(provider.openSockets(), 0, 'no provider socket outlives its client');
});

t.test('a client that stops reading is closed with 1013 and memory stays bounded', async (t) => {
  const closedEvents: Record<string, unknown>[] = [];
  const sub = nc.subscribe(RealtimeSubjects.sessionClosed, { callback: (_e, m) => void closedEvents.push(m.json()) });
  t.teardown(() => sub.unsubscribe());
  const client = await connectClient(`${url}&conversation_id=conv_slow_reader`);
  await client.next('session.created');
  const upstream = provider.sockets.at(-1);
  const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  socket.pause();
  // Keep asking for audio so that the relay's queue toward the paused client grows.
  const asking = setInterval(() => client.send({ type: 'response.create', response: { metadata: { deltas: '1500' } } }), 100);
  await new Promise((r) => setTimeout(r, 4_500));
  clearInterval(asking);
  socket.resume();
  const closed = await client.closed;
  t.equal(closed.code, 1013);
  t.ok(client.events.some((e) => (e.error as { code?: string } | undefined)?.code === 'client_too_slow'), 'told why');

  const deltaBytes = `{"type":"response.output_audio.delta","event_id":"ev_d0","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"${FAKE_DELTA}"}`.length;
  const sentFrames = (upstream?.frames ?? []).filter((f) => f.includes('"response.create"')).length * 1500;
  const receivedFrames = client.raw.filter((r) => r.includes('"response.output_audio.delta"')).length;
  const report = await waitFor('the session closed event', () => closedEvents.find((e) => e.conversationId === 'conv_slow_reader'));
  const dropped = report.droppedAudioFrames as number;
  t.ok(dropped > 0 && receivedFrames + dropped <= sentFrames, `audio was dropped, not queued: ${dropped} dropped, ${receivedFrames} delivered of ${sentFrames} sent`);
  // Everything queued toward the client reached it once it resumed (the relay cuts it only when its
  // backlog stops draining): what it got is what was queued, the relay's 16 KiB plus what the
  // kernel's socket buffers held, not the audio sent meanwhile. The relay's heap is no measure here:
  // it churns through the same megabytes as garbage.
  const receivedMb = (receivedFrames * deltaBytes) / 1e6;
  const sentMb = (sentFrames * deltaBytes) / 1e6;
  t.ok(receivedMb < sentMb / 4, `queued toward the client: ${receivedMb.toFixed(1)} MB of the ${sentMb.toFixed(1)} MB of audio sent`);
  await waitFor('the provider socket closed', () => (provider.openSockets() === 0 ? true : undefined), { timeoutMs: 2_000, intervalMs: 25 });
  t.equal(provider.openSockets(), 0, 'no provider socket outlives the slow client');
});
