import t from 'tap';
import { WebSocket, type RawData } from 'ws';
import { BrowserPeer } from '../../tools/provider-sim/test/helpers/webrtc.js';
import { png } from '../../services/gateway/test/media-fixtures.js';
import type { ServiceKey } from '../../scripts/lib/stack.js';
import { KeyScanner } from '../helpers/key-scanner.js';
import { waitFor } from '../helpers/ports.js';
import { recordReliability } from '../helpers/reliability.js';
import { startStack } from '../helpers/stack.js';

// Every route family driven once, on the good path and on the provider's error paths; everything the
// test receives is scanned for the stack's provider keys, as the stack scans every log line.
const stack = await startStack({
  env: { SIM_REALTIME_PACE: 'fast', UPSTREAM_MAX_RETRIES: '0', RATE_LIMIT_PER_MINUTE: '0', MAX_REALTIME_SESSIONS_PER_CLIENT: '0' },
});
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;
const wsBase = base.replace('http:', 'ws:');
const sim = stack.simulatorUrl ?? '';
const scanner = stack.keyScanner;
const counts = { bodies: 0, headers: 0, frames: 0, pageFiles: 0 };
const SERVICES: ServiceKey[] = ['gateway', 'session', 'llm-text', 'realtime-relay'];

function scanHeaders(response: Response, where: string): void {
  const lines: string[] = [];
  response.headers.forEach((value, name) => {
    lines.push(`${name}: ${value}`);
  });
  counts.headers += lines.length;
  scanner.scan(`${response.status}\n${lines.join('\n')}`, `headers of ${where}`);
}

/** A request whose status line, headers and whole body (SSE included) are scanned. */
async function call(path: string, init: RequestInit = {}, origin = base): Promise<{ status: number; text: string }> {
  const response = await fetch(`${origin}${path}`, init);
  scanHeaders(response, path);
  const text = await response.text();
  counts.bodies += 1;
  scanner.scan(text, `body of ${init.method ?? 'GET'} ${path}`);
  return { status: response.status, text };
}
const json = (body: unknown, accept = 'application/json'): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', accept },
  body: JSON.stringify(body),
});
const say = (text: string, extra: Record<string, unknown> = {}) => ({ message: { role: 'user', content: [{ type: 'text', text }] }, ...extra });
const fault = (body: Record<string, unknown>) =>
  fetch(`${sim}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ times: 1, ...body }) }).then((r) => r.text());

/** Follows a turn by polling until it has finished; every poll is scanned. */
async function pollTurn(turnId: string): Promise<string> {
  let after = 0;
  let all = '';
  await waitFor(`turn ${turnId}`, async () => {
    const { text } = await call(`/api/turns/${turnId}?after=${after}`);
    const page = JSON.parse(text) as { chunks: { seq: number }[]; finished: boolean };
    all += text;
    after = page.chunks.at(-1)?.seq ?? after;
    return page.finished ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200 });
  return all;
}

/** A WebSocket whose every frame is scanned; resolves once `done` says so for a frame (or on close). */
function socket(url: string, headers: Record<string, string>, send: string[], done: (frame: string) => boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const frames: string[] = [];
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no end on ${url} in 30 s; last frames: ${frames.slice(-3).join(' | ').slice(0, 500)}`));
    }, 30_000);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`${url}: HTTP ${res.statusCode}`)));
    ws.on('open', () => {
      for (const frame of send) ws.send(frame);
    });
    ws.on('message', (data: RawData) => {
      const text = String(data);
      frames.push(text);
      counts.frames += 1;
      scanner.scan(text, `frame on ${url}`);
      if (done(text)) {
        clearTimeout(timer);
        ws.close();
        resolve(frames);
      }
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(frames);
    });
    ws.on('error', reject);
  });
}

const TEXT_MODELS = ['gpt-4o-mini', 'gemini-2.5-flash', 'glm-4-flash'];
const ended = (frame: string) => /"type":"(done|error)"/.test(frame) && frame.includes('turn.chunk');

t.test('the scanner finds a key, its start alone and its end alone, and shows neither', async (t) => {
  const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
  const probe = new KeyScanner({ OPENAI_API_KEY: key, GEMINI_API_KEY: 'short' });
  t.ok(probe.scan('nothing here', 'clean'), 'clean text passes');
  t.notOk(probe.scan(`{"error":"bad key ${key}"}`, 'whole'), 'the whole key');
  t.notOk(probe.scan(`Incorrect API key provided: ${key.slice(0, 12)}***`, 'start'), 'its first 12 characters');
  t.notOk(probe.scan(`key ending ***${key.slice(-12)}`, 'end'), 'its last 12 characters');
  t.notOk(JSON.stringify(probe.findings()).includes(key.slice(0, 12)), 'findings blank the key out');
  t.ok(stack.keyScanner.armed, "this stack's keys are being looked for");
});

t.test('the page and its assets, status, models, health and metrics', async (t) => {
  const page = await call('/');
  t.equal(page.status, 200);
  const assets = [...page.text.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] ?? '');
  for (const asset of assets) {
    const { status } = await call(asset);
    counts.pageFiles += 1;
    t.equal(status, 200, `page file ${asset}`);
  }
  counts.pageFiles += 1;
  for (const path of ['/api/models', '/api/status', '/v1/models', '/v1/models/gpt-4o-mini', '/readyz']) t.equal((await call(path)).status, 200, path);
  for (const name of SERVICES) {
    for (const path of ['/healthz', '/readyz', '/metrics']) await call(path, {}, `http://127.0.0.1:${stack.ports[name]}`);
  }
});

t.test('chat on every delivery path, attachments and conversations', async (t) => {
  const image = await call('/api/attachments', { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png(32, 32)) });
  t.equal(image.status, 201, 'an image uploaded');
  const attachmentId = (JSON.parse(image.text) as { id: string }).id;
  await call(`/api/attachments/${attachmentId}`);
  let conversationId = '';
  for (const model of TEXT_MODELS) {
    // Started, then polled.
    const started = await call('/api/chat', json({ model, ...say('hello, poll me') }));
    t.equal(started.status, 200, `${model}: started`);
    const { turnId, conversationId: cid } = JSON.parse(started.text) as { turnId: string; conversationId: string };
    conversationId = cid;
    await pollTurn(turnId);
    // Streamed on the request (SSE), then the same turn again over its own stream.
    const streamed = await call('/api/chat', json({ model, conversationId: cid, ...say('stream me') }, 'text/event-stream'));
    t.match(streamed.text, /event: |data: /, `${model}: streamed over SSE`);
    await call(`/api/turns/${turnId}/stream`);
    // Followed over the page's WebSocket.
    const viaWs = await call('/api/chat', json({ model, conversationId: cid, ...say('push me') }));
    const pushed = JSON.parse(viaWs.text) as { turnId: string };
    const frames = await socket(`${wsBase}/api/ws`, { Origin: base }, [JSON.stringify({ type: 'turn.subscribe', turnId: pushed.turnId })], ended);
    t.ok(frames.length > 0, `${model}: chunks over the WebSocket`);
  }
  const withImage = await call('/api/chat', json({ model: 'gpt-4o-mini', message: { role: 'user', content: [{ type: 'text', text: 'what is it' }, { type: 'image', attachmentId }] } }));
  await pollTurn((JSON.parse(withImage.text) as { turnId: string }).turnId);
  await call('/v1/chat/completions', json({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
  await call('/v1/chat/completions', json({ model: 'glm-4-flash', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }));
  await call('/api/conversations');
  await call(`/api/conversations/${conversationId}`);
  await call(`/api/conversations/${conversationId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Renamed' }) });
  t.equal((await call(`/api/conversations/${conversationId}`, { method: 'DELETE' })).status, 204, 'conversation deleted');
});

t.test("the providers' error paths: 429, 500, a dropped stream, the key refused and quoted back", async (t) => {
  for (const [provider, model] of [['openai', 'gpt-4o-mini'], ['gemini', 'gemini-2.5-flash'], ['zhipu', 'glm-4-flash']] as const) {
    for (const kind of ['rate_limit', 'server_error', 'disconnect_mid_stream', 'invalid_key']) {
      await fault({ provider, kind });
      const started = await call('/api/chat', json({ model, ...say(`make it fail: ${kind}`) }));
      const all = await pollTurn((JSON.parse(started.text) as { turnId: string }).turnId);
      t.match(all, /"type":"error"/, `${model} ${kind}: the turn ends with an error`);
    }
    for (const kind of ['server_error', 'invalid_key']) {
      await fault({ provider, kind });
      await call('/v1/chat/completions', json({ model, messages: [{ role: 'user', content: 'fail' }] }));
    }
  }
});

t.test('realtime over the relay, both providers, both routes, and a provider refusing', async (t) => {
  const ask = [
    JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello there' }] } }),
    JSON.stringify({ type: 'response.create' }),
  ];
  const answered = (frame: string) => frame.includes('"response.done"');
  for (const model of ['gpt-realtime', 'glm-realtime-flash']) {
    const page = await socket(`${wsBase}/api/realtime/ws?model=${model}`, { Origin: base }, ask, answered);
    t.ok(page.some(answered), `${model}: answered on the page's route`);
    const program = await socket(`${wsBase}/v1/realtime?model=${model}`, {}, ask, answered);
    t.ok(program.some(answered), `${model}: answered on /v1/realtime`);
  }
  await fault({ provider: 'openai', kind: 'realtime_refuse', statusCode: 429 });
  const refused = await socket(`${wsBase}/v1/realtime?model=gpt-realtime`, {}, [], (frame) => frame.includes('"type":"error"'));
  t.ok(refused.some((f) => f.includes('provider_unavailable')), 'the refusal explained in an error event');
  for (const [provider, model] of [['openai', 'gpt-realtime'], ['zhipu', 'glm-realtime-flash']] as const) {
    await fault({ provider, kind: 'realtime_invalid_key' });
    const keyRefused = await socket(`${wsBase}/api/realtime/ws?model=${model}`, { Origin: base }, [], (frame) => frame.includes('"type":"error"'));
    t.ok(keyRefused.some((f) => f.includes('HTTP 401')), `${model}: the key refused, explained without the key`);
  }
});

t.test('WebRTC signalling and client secrets, good and failing', async (t) => {
  const peer = () => {
    const browser = new BrowserPeer();
    t.teardown(() => browser.close());
    return browser.offer();
  };
  const sdp = await peer();
  const created = await call('/api/realtime/calls?model=gpt-realtime', json({ sdp }));
  t.equal(created.status, 201, 'a call set up');
  const { callId } = JSON.parse(created.text) as { callId: string };
  await call(`/api/realtime/calls/${callId}/hangup`, { method: 'POST' });
  for (const [kind, status] of [
    ['rate_limit', 429],
    ['server_error', 502],
    ['invalid_key', 502],
  ] as const) {
    await fault({ provider: 'openai', kind });
    const failed = await call('/api/realtime/calls?model=gpt-realtime', json({ sdp: await peer() }));
    t.equal(failed.status, status, `${kind}: a clear ${status}`);
  }
  const secret = await call('/v1/realtime/client_secrets', json({ session: { type: 'realtime', model: 'gpt-realtime' } }));
  t.match(secret.text, /"value":"ek_/, 'an ephemeral key, not the server key');
  await fault({ provider: 'openai', kind: 'server_error' });
  await call('/v1/realtime/client_secrets', json({ session: { type: 'realtime', model: 'gpt-realtime' } }));
});

t.test('no provider key in anything received, nor in any log line so far', async (t) => {
  const findings = scanner.findings();
  t.same(findings, [], 'no key or key fragment anywhere');
  const scannedLogLines = SERVICES.reduce((n, name) => n + stack.logs(name).length, 0);
  const { scanned } = scanner.counts();
  t.ok(counts.bodies > 50 && counts.frames > 50, `bodies (${counts.bodies}) and frames (${counts.frames}) were scanned`);
  await recordReliability({
    id: 'secrets/key-scan',
    section: 'secrets',
    title: 'Every route family driven (page, status, chat over poll/SSE/WebSocket, /v1 streamed and not, attachments, conversations, realtime on both routes and providers, WebRTC calls, client secrets, provider 429s, 500s, dropped streams and refused keys quoted back whole by the simulator) and everything received and logged scanned for the provider keys and their first and last 12 characters',
    figures: {
      responseBodiesScanned: counts.bodies,
      headerLinesScanned: counts.headers,
      webSocketFramesScanned: counts.frames,
      pageFilesScanned: counts.pageFiles,
      logLinesScanned: scannedLogLines,
      piecesScannedInAll: scanned,
      keysLeaked: findings.length,
    },
    passed: findings.length === 0,
  });
});
