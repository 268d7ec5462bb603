import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { useProxyForFetch } from '@voxgate/service-kit';
import { startConnectProxy } from '../../../test/helpers/connect-proxy.js';
import { mintClientSecret } from '../src/client-secrets.js';
import { createCall, hangupCall, type OpenAiTarget } from '../src/openai-calls.js';
import { scrubSecrets } from '../src/upstream-failure.js';
import { OFFER } from './fixtures.js';

const KEY = 'sk-test-0123456789abcdefghij';
const ANSWER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n';

type Handler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;
let handle: Handler = (_request, _body, response) => response.writeHead(500).end();
const seen: { url: string | undefined; authorization: string | undefined; contentType: string | undefined; body: Buffer }[] = [];
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    seen.push({ url: request.url, authorization: request.headers.authorization, contentType: request.headers['content-type'], body });
    handle(request, body, response);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
const target: OpenAiTarget = { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: KEY, timeoutMs: 2_000 };
const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const failure = async (run: () => Promise<unknown>) => {
  try {
    await run();
    return undefined;
  } catch (error) {
    const e = error as { code?: string; statusCode?: number; message: string };
    return { code: e.code, statusCode: e.statusCode, message: e.message };
  }
};

t.test('the SDP exchange: multipart sdp + session with the server key, answer and call id back', async (t) => {
  handle = (_request, _body, response) => response.writeHead(201, { 'content-type': 'application/sdp', location: '/v1/realtime/calls/rtc_abc123' }).end(ANSWER);
  const answer = await createCall(target, OFFER, { type: 'realtime', model: 'gpt-realtime', audio: { output: { voice: 'marin' } } });
  t.same(answer, { sdp: ANSWER, callId: 'rtc_abc123' });
  const request = seen.at(-1);
  t.equal(request?.url, '/v1/realtime/calls');
  t.equal(request?.authorization, `Bearer ${KEY}`);
  t.match(request?.contentType, /^multipart\/form-data; boundary=/);
  const form = await new Response(new Uint8Array(request?.body ?? Buffer.alloc(0)), { headers: { 'content-type': request?.contentType ?? '' } }).formData();
  t.equal(form.get('sdp'), OFFER, 'the raw offer');
  t.same(JSON.parse(String(form.get('session'))), { type: 'realtime', model: 'gpt-realtime', audio: { output: { voice: 'marin' } } }, 'a JSON string');
});

t.test('non-2xx answers are read and mapped, never passed on as SDP', async (t) => {
  handle = (_request, _body, response) =>
    json(response, 401, { error: { message: `Incorrect API key provided: ${KEY}. Also sk-ab***yz.`, type: 'invalid_request_error', code: 'invalid_api_key' } });
  const rejected = await failure(() => createCall(target, OFFER, { type: 'realtime', model: 'gpt-realtime' }));
  t.match(rejected, { code: 'upstream_unauthorized', statusCode: 502, message: /OpenAI refused the call with 401 \(invalid_api_key\): Incorrect API key provided/ });
  t.notMatch(rejected?.message, /sk-/, 'no key, not even a quoted part of one');

  handle = (_request, _body, response) => json(response, 400, { error: { message: 'Invalid SDP offer', code: 'invalid_offer' } });
  t.match(await failure(() => createCall(target, OFFER, { type: 'realtime' })), { code: 'upstream_rejected', statusCode: 400, message: /Invalid SDP offer/ });

  handle = (_request, _body, response) => json(response, 429, { error: { message: 'You exceeded your current quota', code: 'insufficient_quota' } });
  t.match(await failure(() => createCall(target, OFFER, { type: 'realtime' })), { code: 'upstream_rate_limited', statusCode: 429, message: /429 \(insufficient_quota\)/ });

  handle = (_request, _body, response) => response.writeHead(503).end('<html>busy</html>');
  t.match(await failure(() => createCall(target, OFFER, { type: 'realtime' })), { code: 'upstream_unavailable', statusCode: 502, message: /503/ });

  handle = (_request, _body, response) => json(response, 201, { ok: true });
  t.match(await failure(() => createCall(target, OFFER, { type: 'realtime' })), { code: 'upstream_unavailable', message: /without an SDP/ }, '2xx without SDP');

  handle = (_request, _body, response) => response.writeHead(201, { 'content-type': 'application/sdp' }).end(ANSWER);
  t.match(await failure(() => createCall(target, OFFER, { type: 'realtime' })), { code: 'upstream_unavailable', message: /no call id/ }, 'no Location');

  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  t.has(await failure(() => createCall({ ...target, baseUrl: `http://127.0.0.1:${port}/v1` }, OFFER, { type: 'realtime' })), {
    code: 'upstream_unavailable',
    statusCode: 503,
  }, 'unreachable');
});

t.test('hang-up: 200 is a hang-up, 404 a call OpenAI does not know', async (t) => {
  handle = (_request, _body, response) => response.writeHead(200).end();
  t.equal(await hangupCall(target, 'rtc_abc123'), true);
  t.equal(seen.at(-1)?.url, '/v1/realtime/calls/rtc_abc123/hangup');
  t.equal(seen.at(-1)?.authorization, `Bearer ${KEY}`);
  handle = (_request, _body, response) => json(response, 404, { error: { message: 'Call not found', code: 'call_not_found' } });
  t.equal(await hangupCall(target, 'rtc_gone'), false);
  handle = (_request, _body, response) => json(response, 500, { error: { message: 'boom' } });
  t.has(await failure(() => hangupCall(target, 'rtc_x')), { code: 'upstream_unavailable' });
});

t.test('client secrets: the lifetime is capped and only offered models are allowed', async (t) => {
  const policy = { maxTtlS: 600, models: ['gpt-realtime', 'gpt-realtime-mini'] };
  handle = (_request, body, response) => {
    const asked = JSON.parse(String(body)) as { expires_after: { seconds: number }; session: object };
    json(response, 200, { value: 'ek_test_secret', expires_at: 1_000 + asked.expires_after.seconds, session: { ...asked.session, id: 'sess_1', object: 'realtime.session' } });
  };
  const secret = await mintClientSecret(target, { expires_after: { anchor: 'created_at', seconds: 7_200 }, session: { type: 'realtime', model: 'gpt-realtime' } }, policy);
  t.equal(secret.value, 'ek_test_secret');
  t.same(JSON.parse(String(seen.at(-1)?.body)).expires_after, { anchor: 'created_at', seconds: 600 }, 'capped');
  t.equal(seen.at(-1)?.url, '/v1/realtime/client_secrets');
  await mintClientSecret(target, { session: { type: 'realtime', model: 'gpt-realtime-mini', instructions: 'Hi' } }, policy);
  t.same(JSON.parse(String(seen.at(-1)?.body)), { session: { type: 'realtime', model: 'gpt-realtime-mini', instructions: 'Hi' }, expires_after: { anchor: 'created_at', seconds: 600 } }, 'the cap is the default');
  await mintClientSecret(target, { expires_after: { seconds: 60 }, session: { type: 'realtime', model: 'gpt-realtime' } }, policy);
  t.equal(JSON.parse(String(seen.at(-1)?.body)).expires_after.seconds, 60, 'a shorter lifetime stays');
  const count = seen.length;
  t.has(await failure(() => mintClientSecret(target, { session: { type: 'realtime', model: 'gpt-4o-mini' } }, policy)), { code: 'model_not_allowed', statusCode: 400 });
  t.equal(seen.length, count, 'OpenAI was not asked');
  handle = (_request, _body, response) => json(response, 200, { nothing: true });
  t.match(await failure(() => mintClientSecret(target, { session: { type: 'realtime', model: 'gpt-realtime' } }, policy)), { code: 'upstream_unavailable', message: /off-schema/ });
});

t.test('scrubbing', async (t) => {
  t.equal(scrubSecrets(`key ${KEY} and ek_abcdef123 and sk-proj-XY**12`, KEY), 'key [redacted] and [redacted] and [redacted]');
  t.equal(scrubSecrets('Invalid value for session.model', KEY), 'Invalid value for session.model');
});

// Last: this turns the process's fetch over to the proxy.
t.test('every request goes through the configured proxy', async (t) => {
  const proxy = await startConnectProxy();
  t.teardown(() => proxy.close());
  t.ok(useProxyForFetch({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url }));
  handle = (_request, _body, response) => response.writeHead(201, { 'content-type': 'application/sdp', location: '/v1/realtime/calls/rtc_proxied' }).end(ANSWER);
  t.equal((await createCall(target, OFFER, { type: 'realtime', model: 'gpt-realtime' })).callId, 'rtc_proxied');
  t.ok(proxy.total() >= 1, 'the proxy carried it');
});
