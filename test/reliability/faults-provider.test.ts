import { request } from 'node:http';
import t from 'tap';
import { WebSocket } from 'ws';
import { RealtimeClient } from '../integration/realtime-gateway-helpers.js';
import { waitForEvents } from '../helpers/reconnecting-client.js';
import { rssGrowthBytes } from '../helpers/metrics.js';
import { CLIENT_LIMITS_OFF } from '../helpers/limits.js';
import { recordReliability } from '../helpers/reliability.js';
import { startStack } from '../helpers/stack.js';
import { answerOf, streamChat } from '../helpers/turns.js';

// Provider faults from the simulator, seen through the whole system: bounded retries (counted at
// the simulator), clear error codes, bounded memory on slow readers of both legs.

const MODEL = 'gpt-4o-mini';
const MAX_RETRIES = 2;
const ATTEMPTS = 1 + MAX_RETRIES;
const MB = 1024 * 1024;

const stack = await startStack({
  env: {
    ...CLIENT_LIMITS_OFF,
    UPSTREAM_MAX_RETRIES: String(MAX_RETRIES),
    UPSTREAM_RETRY_BASE_MS: '200',
    UPSTREAM_ATTEMPT_TIMEOUT_MS: '1500',
    // Realtime answers as fast as the sockets take them: the slow reader falls behind at once.
    SIM_REALTIME_PACE: 'fast',
  },
});
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;
const sim = stack.simulatorUrl ?? '';
const serviceUrl = (name: keyof typeof stack.ports) => `http://127.0.0.1:${stack.ports[name]}`;
const figures: Record<string, number | string | boolean> = {};

async function fault(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sim}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'openai', model: MODEL, ...body }) });
  if (response.status !== 201) throw new Error(`fault refused: ${response.status} ${await response.text()}`);
}

async function resetSimulator(): Promise<void> {
  await fetch(`${sim}/_sim/faults`, { method: 'DELETE' });
  await fetch(`${sim}/_sim/requests`, { method: 'DELETE' });
}

/** Chat completion requests the simulator received since the last reset. */
async function chatRequests(): Promise<number> {
  const body = (await (await fetch(`${sim}/_sim/requests?provider=openai`)).json()) as { requests: { path: string }[] };
  return body.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
}

t.beforeEach(() => resetSimulator());

t.test('a 429 storm: each turn tries 1 + 2 times, waits Retry-After, then ends upstream_rate_limited (retryable)', async (t) => {
  const turns = 5;
  await fault({ kind: 'rate_limit', times: 1_000, retryAfterSeconds: 1 });
  const ended = await Promise.all(Array.from({ length: turns }, (_, i) => streamChat(base, MODEL, `storm ${i}`)));
  for (const turn of ended) t.has(turn, { end: 'error', code: 'upstream_rate_limited', retryable: true });
  const requests = await chatRequests();
  t.equal(requests, turns * ATTEMPTS, `${requests} provider requests for ${turns} turns: bounded`);
  figures.rateLimitTurns = turns;
  figures.rateLimitProviderRequests = requests;
  await resetSimulator();
  t.equal((await streamChat(base, MODEL, 'after the storm')).end, 'done', 'the storm over, turns are answered again');
});

t.test('500s: one is retried away; a run of them ends the turn upstream_unavailable after 3 attempts', async (t) => {
  await fault({ kind: 'server_error', times: 1 });
  const healed = await streamChat(base, MODEL, 'one 500');
  t.equal(healed.end, 'done', 'a single 500 before the first token is retried and the answer arrives');
  t.equal(await chatRequests(), 2, 'with exactly one retry');
  await resetSimulator();
  await fault({ kind: 'server_error', times: 100 });
  const failed = await streamChat(base, MODEL, 'many 500s');
  t.has(failed, { end: 'error', code: 'upstream_unavailable', retryable: true });
  figures.serverErrorProviderRequests = await chatRequests();
  t.equal(figures.serverErrorProviderRequests, ATTEMPTS);
});

t.test('a stall before the first token: each attempt is given up after UPSTREAM_ATTEMPT_TIMEOUT_MS, then upstream_timeout', async (t) => {
  await fault({ kind: 'stall_before_first_token', times: 100 });
  const started = Date.now();
  const stalled = await streamChat(base, MODEL, 'stall');
  figures.stallTurnEndedMs = Date.now() - started;
  t.has(stalled, { end: 'error', code: 'upstream_timeout', retryable: true });
  figures.stallProviderRequests = await chatRequests();
  t.equal(figures.stallProviderRequests, ATTEMPTS);
});

t.test('a disconnect mid-stream: the partial answer is kept, the turn ends with a retryable error, no retry after text was shown', async (t) => {
  await fault({ kind: 'disconnect_mid_stream', afterTokens: 3 });
  const cut = await streamChat(base, MODEL, 'cut me off');
  t.has(cut, { end: 'error', retryable: true });
  t.match(cut.code, /^upstream_/, `a clear code (${cut.code})`);
  t.ok(answerOf(cut.chunks).length > 0, 'the part that arrived was delivered');
  t.equal(await chatRequests(), 1, 'not retried: the shown text could be repeated or contradicted');
  figures.disconnectCode = cut.code ?? '';
});

/** Starts a streamed turn over raw HTTP and reads nothing until `resume` is called. */
function slowSseReader(prompt: string): { resume: () => Promise<string> } {
  let resume: () => Promise<string> = async () => '';
  const ready = new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request(`${base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } }, (res) => {
      res.pause();
      resolve(res);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: MODEL, message: { role: 'user', content: [{ type: 'text', text: prompt }] } }));
  });
  resume = async () => {
    const res = await ready;
    const parts: Buffer[] = [];
    res.on('data', (b: Buffer) => parts.push(b));
    const ended = new Promise((r) => res.once('end', r));
    res.resume();
    await ended;
    return Buffer.concat(parts).toString();
  };
  return { resume: () => resume() };
}

t.test('slow SSE readers: long answers to readers that read nothing for a while; memory stays bounded, every answer arrives whole', async (t) => {
  const readers = 8;
  const tokens = 40_000;
  // The answers are produced meanwhile: llm-text streams into JetStream whatever the readers do.
  const slow = Array.from({ length: readers }, (_, i) => slowSseReader(`[sim:tokens=${tokens}] reader ${i}`));
  const growth = await rssGrowthBytes({ gateway: serviceUrl('gateway'), llmText: serviceUrl('llm-text') }, 5_000);
  const bodies = await Promise.all(slow.map((s) => s.resume()));
  const complete = bodies.filter((b) => b.includes('"type":"done"')).length;
  t.equal(complete, readers, 'every slow reader got its whole answer, ending with done');
  figures.slowSseReaders = readers;
  figures.slowSseAnswerTokens = tokens;
  figures.slowSseGatewayRssGrowthMb = Math.round((growth.gateway ?? 0) / MB);
  figures.slowSseLlmTextRssGrowthMb = Math.round((growth.llmText ?? 0) / MB);
  t.ok((growth.gateway ?? 0) < 96 * MB, `gateway RSS grew ${figures.slowSseGatewayRssGrowthMb} MB`);
  t.ok((growth.llmText ?? 0) < 96 * MB, `llm-text RSS grew ${figures.slowSseLlmTextRssGrowthMb} MB`);
});

t.test('a slow realtime reader: what is queued for it stays bounded (newest audio dropped, or the session ended with client_too_slow), memory too', async (t) => {
  const url = `${base.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`;
  const client = await RealtimeClient.open(url);
  t.teardown(() => client.ws.terminate());
  const ws: WebSocket = client.ws;
  client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x'.repeat(80) }] } });
  client.send({ type: 'response.create' });
  await client.next('response.output_audio.delta');
  // Stop reading, as a stuck tab or a phone on a bad link does, and keep asking for answers
  // (sending does not need reading): the model goes on talking into the stalled connection.
  ws.pause();
  const asking = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'response.create' })), 200);
  // Shorter than the relay's 2 s grace plus its 5 s wait for a stalled backlog: a reader that
  // comes back within it is told why it was closed, whatever the machine's pace.
  const growth = await rssGrowthBytes({ gateway: serviceUrl('gateway'), relay: serviceUrl('realtime-relay') }, 6_000);
  clearInterval(asking);
  ws.resume();
  // Either the relay gave up on the reader (its queue stayed over RELAY_CLIENT_BUFFER_MAX_BYTES for
  // 2 s), or the socket buffers on the way absorbed the backlog and the relay dropped the newest
  // audio instead: in both cases the client knows where it stands and nothing grew without bound.
  const outcome = await Promise.race([client.closed, client.next('response.done', 15_000).then(() => 'reading again' as const)]);
  await new Promise((r) => setTimeout(r, 500));
  const tooSlow = client.events.some((e) => e.type === 'error' && (e.error as { code?: string } | undefined)?.code === 'client_too_slow');
  if (client.closeCode !== undefined) {
    t.equal(client.closeCode, 1013, 'closed with 1013 (try again later)');
    t.ok(tooSlow, 'after an error client_too_slow saying why');
  } else {
    const from = client.events.length;
    client.send({ type: 'response.cancel' });
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'still there?' }] } });
    await waitForEvents(client, 'conversation.item.added', from, 1);
    t.pass(`the session caught up once read again (${outcome}) and still takes events`);
  }
  figures.slowRealtimeOutcome = client.closeCode === undefined ? 'caught up' : `closed ${client.closeCode}${tooSlow ? ' client_too_slow' : ''}`;
  figures.slowRealtimeGatewayRssGrowthMb = Math.round((growth.gateway ?? 0) / MB);
  figures.slowRealtimeRelayRssGrowthMb = Math.round((growth.relay ?? 0) / MB);
  t.ok((growth.gateway ?? 0) < 64 * MB, `gateway RSS grew ${figures.slowRealtimeGatewayRssGrowthMb} MB`);
  t.ok((growth.relay ?? 0) < 64 * MB, `relay RSS grew ${figures.slowRealtimeRelayRssGrowthMb} MB`);
  // Others are unaffected: a fresh session talks.
  const fresh = await RealtimeClient.open(url);
  await fresh.askForAudio('anyone there?');
  fresh.close();
});

t.test('record', async () => {
  await recordReliability({
    id: 'faults/provider',
    section: 'faults',
    title: 'Provider faults from the simulator (429 storm, 500s, stalls, disconnects) and slow readers on the SSE and realtime legs',
    figures: { ...figures, maxAttemptsPerTurn: ATTEMPTS },
    passed: !t.counts.fail,
  });
});

