import OpenAI from 'openai';
import t from 'tap';
import { BrowserPeer, tone48k } from '../../tools/provider-sim/test/helpers/webrtc.js';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';

// The page's WebRTC path end to end: a werift peer as the browser → gateway → NATS → session →
// simulator (a real werift peer as OpenAI), with session's requests through a real local proxy.
process.env.SIM_REALTIME_PACE = 'fast';
const proxy = await startConnectProxy();
t.teardown(() => proxy.close());
const stack = await startStack({ env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, CLIENT_SECRET_MAX_TTL_S: '300' } });
t.teardown(() => stack.stop());
const sim = stack.simulatorUrl ?? '';
const simHost = new URL(sim).host;
const providerKey = stack.env.OPENAI_API_KEY ?? '';

function headerText(headers: Headers): string {
  const lines: string[] = [];
  headers.forEach((value, name) => {
    lines.push(`${name}: ${value}`);
  });
  return lines.join('\n');
}

/** Every status line, header and body the test received from the gateway, for the key scan. */
const received: string[] = [];
async function api(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${stack.gatewayUrl}${path}`, init);
  const text = await response.text();
  received.push(`${response.status} ${headerText(response.headers)}\n${text}`);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, headers: response.headers, body };
}
const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

interface SimCall {
  id: string;
  model: string;
  state: string;
  hungUp: boolean;
  initialSession: Record<string, unknown>;
  sidebandConnections: number;
  dataChannelEvents: Record<string, number>;
}
const simCalls = async () => ((await (await fetch(`${sim}/_sim/webrtc`)).json()) as { calls: SimCall[] }).calls;
const proxied = () => (proxy.tunnels.get(simHost) ?? 0) + (proxy.forwarded.get(simHost) ?? 0);

async function newBrowser(t: { teardown(fn: () => unknown): void }): Promise<{ browser: BrowserPeer; sdp: string }> {
  const browser = new BrowserPeer();
  t.teardown(() => browser.close());
  return { browser, sdp: await browser.offer() };
}

t.test('a call: offer → answer, ICE, session.created, options at the simulator, recorded through the sideband, hang-up', async (t) => {
  const { browser, sdp } = await newBrowser(t);
  const before = proxied();
  const created = await postJson('/api/realtime/calls?model=gpt-realtime', {
    sdp,
    voice: 'marin',
    instructions: 'Be brief.',
    turnDetection: 'server_vad',
    transcription: true,
  });
  t.equal(created.status, 201, `201 (${created.status === 201 ? "" : JSON.stringify(created.body)})`);
  const { sdp: answer, callId, conversationId } = created.body as { sdp: string; callId: string; conversationId: string };
  t.match(answer, /^v=0/);
  t.match(callId, /^rtc_/);
  t.match(conversationId, /^[A-Za-z0-9_-]{8,64}$/);

  await browser.accept(answer);
  await browser.until(() => browser.pc.connectionState === 'connected', 8_000, 'ICE connected');
  t.has(await browser.next('session.created'), {
    session: { type: 'realtime', model: 'gpt-realtime', instructions: 'Be brief.', audio: { output: { voice: 'marin' }, input: { turn_detection: { type: 'server_vad' } } } },
  });
  const call = (await simCalls()).find((c) => c.id === callId);
  t.match(call, {
    model: /^gpt-realtime$/,
    auth: 'server_key',
    initialSession: { type: 'realtime', model: /^gpt-realtime$/, instructions: 'Be brief.', audio: { output: { voice: 'marin' }, input: { turn_detection: { type: 'server_vad' }, transcription: Object } } },
  });
  await waitFor('the sideband', async () => ((await simCalls()).find((c) => c.id === callId)?.sidebandConnections ?? 0) >= 1 || undefined);
  t.ok(proxied() >= before + 2, 'the SDP exchange and the sideband went through the proxy');

  // The microphone: a tone then silence; server VAD commits it, transcribes it and answers.
  await browser.sendPcm(tone48k(600, 700));
  await browser.next('conversation.item.input_audio_transcription.completed', () => true, 10_000);
  await browser.next('response.done', () => true, 15_000);

  const listed = await waitFor('the call in the history', async () => {
    const list = await api('/api/conversations');
    return (list.body as { conversations: { id: string; model: string }[] }).conversations.find((c) => c.id === conversationId);
  });
  t.equal(listed.model, 'gpt-realtime');
  const conversation = await api(`/api/conversations/${conversationId}`);
  const turns = (conversation.body as { turns: { answer: string; transcript?: string; status: string; usage?: object }[] }).turns;
  t.equal(turns.length, 1);
  t.match(turns[0], { status: /^done$/, answer: /\S/, transcript: /\S/, usage: { inputTokens: Number, outputTokens: Number } }, 'both sides and the usage');

  const hungUp = await api(`/api/realtime/calls/${callId}/hangup`, { method: 'POST' });
  t.same([hungUp.status, hungUp.body], [200, { hungUp: true }]);
  t.match((await simCalls()).find((c) => c.id === callId), { hungUp: true });
  const again = await api(`/api/realtime/calls/${callId}/hangup`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'beacon' });
  // OpenAI (here the simulator) no longer has the call: a repeated hang-up finds no live call.
  t.has([again.status, again.body], [404, { error: { code: 'call_not_found' } }], 'a beacon (any body) after the hang-up');
});

/** A call set up and connected for `browser`, into `conversationId` when given. */
async function connectedCall(browser: BrowserPeer, sdp: string, options: Record<string, unknown> = {}): Promise<{ callId: string; conversationId: string }> {
  const created = await postJson('/api/realtime/calls?model=gpt-realtime', { sdp, turnDetection: 'server_vad', transcription: true, ...options });
  if (created.status !== 201) throw new Error(`call not set up: ${created.status} ${JSON.stringify(created.body)}`);
  const answer = created.body as { sdp: string; callId: string; conversationId: string };
  await browser.accept(answer.sdp);
  await browser.until(() => browser.pc.connectionState === 'connected', 8_000, 'ICE connected');
  await browser.next('session.created');
  return answer;
}

/** Speaks a tone and waits for its transcript and the answer; returns the transcript. */
async function speak(browser: BrowserPeer): Promise<string> {
  await browser.sendPcm(tone48k(600, 700));
  const heard = await browser.next('conversation.item.input_audio_transcription.completed', () => true, 10_000);
  await browser.next('response.done', () => true, 15_000);
  return String(heard.transcript);
}

const storedTurns = async (conversationId: string) =>
  ((await api(`/api/conversations/${conversationId}`)).body as { turns?: { answer: string; transcript?: string }[] }).turns ?? [];

t.test('a call re-seeded after a reconnect stores only what is said after the seed', async (t) => {
  const first = await newBrowser(t);
  const { callId, conversationId } = await connectedCall(first.browser, first.sdp);
  const said = await speak(first.browser);
  const earlier = await waitFor('the first exchange stored', async () => (await storedTurns(conversationId))[0]);
  await api(`/api/realtime/calls/${callId}/hangup`, { method: 'POST' });

  // The page's reconnect: a new call into the same conversation, seeded with what was said.
  const second = await newBrowser(t);
  const again = await connectedCall(second.browser, second.sdp, { conversationId });
  second.browser.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: said }] } });
  second.browser.send({ type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: earlier.answer }] } });
  await second.browser.next('conversation.item.done');
  await second.browser.next('conversation.item.done');
  const saidAfter = await speak(second.browser);
  const turns = await waitFor('the second exchange stored', async () => {
    const stored = await storedTurns(conversationId);
    return stored.length >= 2 ? stored : undefined;
  });
  t.equal(turns.length, 2, 'two exchanges, none from the seed');
  t.equal(turns[1]?.transcript, saidAfter, `the second holds only the words after the seed (${JSON.stringify(turns[1]?.transcript)})`);
  await api(`/api/realtime/calls/${again.callId}/hangup`, { method: 'POST' });
});

t.test('bad input: each a clear JSON error, and session keeps serving', async (t) => {
  const { sdp } = await newBrowser(t);
  const expect = async (what: string, response: Promise<{ status: number; body: unknown }>, status: number, code: string) => {
    const { status: got, body } = await response;
    t.has([got, body], [status, { error: { code } }], what);
    t.match(body, { error: { message: String, requestId: String } }, `${what}: with a message and a request id`);
  };
  await expect('empty SDP', postJson('/api/realtime/calls?model=gpt-realtime', { sdp: '' }), 400, 'invalid_sdp');
  await expect('no SDP', postJson('/api/realtime/calls?model=gpt-realtime', {}), 400, 'invalid_sdp');
  await expect('malformed SDP', postJson('/api/realtime/calls?model=gpt-realtime', { sdp: 'hello, I am not an offer' }), 400, 'invalid_sdp');
  // The browser's own offer without its audio section: a data channel alone is not a call.
  const dataChannelOnly = sdp.split(/\r\n(?=m=)/).filter((section) => !section.startsWith('m=audio')).join('\r\n');
  t.match(dataChannelOnly, /m=application/);
  t.notMatch(dataChannelOnly, /m=audio/);
  await expect('a data-channel-only offer', postJson('/api/realtime/calls?model=gpt-realtime', { sdp: dataChannelOnly }), 400, 'invalid_sdp');
  const noDtlsRole = sdp.replace(/a=setup:.*\r\n/g, '');
  await expect('an offer without a=setup', postJson('/api/realtime/calls?model=gpt-realtime', { sdp: noDtlsRole }), 400, 'invalid_sdp');
  await expect('oversized SDP', postJson('/api/realtime/calls?model=gpt-realtime', { sdp: `${sdp}a=x:${'x'.repeat(70_000)}\r\n` }), 413, 'sdp_too_large');
  await expect('a text model', postJson('/api/realtime/calls?model=gpt-4o-mini', { sdp }), 400, 'not_webrtc_model');
  await expect('an unknown model', postJson('/api/realtime/calls?model=no-such-model', { sdp }), 404, 'unknown_model');
  await expect('no model', postJson('/api/realtime/calls', { sdp }), 400, 'invalid_request');
  await expect('another site', postJson('/api/realtime/calls?model=gpt-realtime', { sdp }, { origin: 'https://evil.example' }), 403, 'forbidden_origin');
  await expect('bad option', postJson('/api/realtime/calls?model=gpt-realtime', { sdp, turnDetection: 'always' }), 400, 'invalid_request');

  const fault = (body: object) => fetch(`${sim}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'openai', times: 1, ...body }) });
  await fault({ kind: 'rate_limit' });
  const rejected = await postJson('/api/realtime/calls?model=gpt-realtime', { sdp });
  t.match([rejected.status, rejected.body], [429, { error: { code: 'upstream_rate_limited', message: /OpenAI refused the call with 429/ } }], "OpenAI's rate limit");
  await fault({ kind: 'server_error' });
  await expect('OpenAI 5xx', postJson('/api/realtime/calls?model=gpt-realtime', { sdp }), 502, 'upstream_unavailable');

  const fresh = await newBrowser(t);
  const ok = await postJson('/api/realtime/calls?model=gpt-realtime-mini', { sdp: fresh.sdp, turnDetection: 'none' });
  t.equal(ok.status, 201, 'session still serves');
  const { callId } = ok.body as { callId: string };
  t.has((await simCalls()).find((c) => c.id === callId)?.initialSession, { audio: { input: { turn_detection: null } } }, 'push-to-talk');
  t.equal((await api(`/api/realtime/calls/${callId}/hangup`, { method: 'POST' })).status, 200);
  t.equal((await api('/api/realtime/calls/rtc_unknown/hangup', { method: 'POST' })).status, 404);
});

t.test('client secrets with the official openai SDK: capped and model-checked', async (t) => {
  const client = new OpenAI({
    baseURL: `${stack.gatewayUrl}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      received.push(`${response.status} ${headerText(response.headers)}\n${await response.clone().text()}`);
      return response;
    },
  });
  const nowS = Math.floor(Date.now() / 1000);
  const secret = await client.realtime.clientSecrets.create({
    expires_after: { anchor: 'created_at', seconds: 7_200 },
    session: { type: 'realtime', model: 'gpt-realtime', audio: { output: { voice: 'marin' } } },
  });
  t.match(secret.value, /^ek_/);
  t.ok(secret.expires_at <= nowS + 300 + 5, `the lifetime is capped at 300 s (${secret.expires_at - nowS} s)`);
  t.has(secret.session, { type: 'realtime', model: 'gpt-realtime' });
  const refused = await client.realtime.clientSecrets
    .create({ session: { type: 'realtime', model: 'gpt-4o-mini' as 'gpt-realtime' } })
    .catch((error: unknown) => error as InstanceType<typeof OpenAI.APIError>);
  t.has(refused, { status: 400, error: { code: 'model_not_allowed' } }, 'a model session does not offer');
  t.notMatch(stack.logs('session').join('\n') + stack.logs('gateway').join('\n'), secret.value, 'the ek_ value is in no log');
});

// Last: everything the tests above received.
t.test('no response the test received carries the provider key', async (t) => {
  t.ok(received.length > 10, `${received.length} responses scanned`);
  t.ok(providerKey.length > 0);
  t.notOk(received.some((r) => r.includes(providerKey)), 'the key is in no body or header');
  t.notOk(stack.logs('session').some((line) => line.includes(providerKey)), 'nor in session’s log');
});
