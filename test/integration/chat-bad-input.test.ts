import { request as httpRequest } from 'node:http';
import t from 'tap';
import { ChatLimits } from '@voxgate/protocol';
import { startFakeLlmText } from '../../services/gateway/test/fake-llm-text.js';
import { png, wav } from '../../services/gateway/test/media-fixtures.js';
import { waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';

const stack = await startStack({ services: ['gateway'], simulator: false, waitReady: false });
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;
await waitFor('gateway up', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));

const post = (path: string, body: string | Uint8Array, contentType: string) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : new Uint8Array(body) });
/**
 * A POST whose answer comes before the body is sent (an over-limit body, refused from its
 * Content-Length): the headers go first and the body only if no answer came within a second, so
 * the refusal is read deterministically instead of racing the server's close of the socket.
 */
const postEarlyAnswer = (path: string, body: Uint8Array, contentType: string) =>
  new Promise<Response>((resolve, reject) => {
    let answered = false;
    const req = httpRequest(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(new Response(Buffer.concat(parts).toString(), { status: res.statusCode ?? 0 })));
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    req.flushHeaders();
    setTimeout(() => (answered ? req.destroy() : req.end(body)), 1_000);
  });
const chatBody = (extra: Record<string, unknown>) => JSON.stringify({ model: 'fake-fast', ...extra });
type Asserts = Record<'equal' | 'has' | 'match', (a: unknown, b: unknown, m: string) => unknown>;
const expectError = async (t: Asserts, response: Response, status: number, code: string) => {
  t.equal(response.status, status, `${code}: status ${status}`);
  const body = await response.json();
  t.has(body, { error: { code } }, `${code}: JSON error`);
  t.match(body, { error: { message: /\S/ } }, `${code}: with a message`);
};

t.test('no llm-text running: 503 service_unavailable', async (t) => {
  await expectError(t, await post('/api/chat', chatBody({ message: { role: 'user', content: [{ type: 'text', text: 'hi' }] } }), 'application/json'), 503, 'service_unavailable');
});

t.test('attachments: stored, read back byte for byte with the detected type', async (t) => {
  const image = png(64, 48);
  const response = await post('/api/attachments', image, 'image/jpeg');
  t.equal(response.status, 201);
  const record = (await response.json()) as { id: string };
  t.match(record, { id: /^[A-Za-z0-9_-]{8,64}$/, kind: 'image', mime: 'image/png', bytes: image.length, width: 64, height: 48 }, 'the real type, not the claimed one');
  const back = await fetch(`${base}/api/attachments/${record.id}`);
  t.equal(back.status, 200);
  t.equal(back.headers.get('content-type'), 'image/png');
  t.same(Buffer.from(await back.arrayBuffer()), image);

  const voice = await post('/api/attachments', wav(200), 'audio/wav');
  t.equal(voice.status, 201);
  t.has(await voice.json(), { kind: 'audio', mime: 'audio/wav' });
  await expectError(t, await fetch(`${base}/api/attachments/nosuchattachment`), 404, 'attachment_not_found');
});

t.test('bad uploads', async (t) => {
  await expectError(t, await post('/api/attachments', Buffer.from('<html>not an image</html>'), 'image/png'), 415, 'invalid_image');
  await expectError(t, await post('/api/attachments', png(4, 4), 'audio/wav'), 415, 'invalid_audio');
  await expectError(t, await post('/api/attachments', Buffer.from('hello'), 'text/plain'), 415, 'unsupported_media_type');
  await expectError(t, await post('/api/attachments', Buffer.alloc(0), 'image/png'), 400, 'invalid_request');
  const big = Buffer.concat([png(4, 4), Buffer.alloc(ChatLimits.imageBytes)]);
  await expectError(t, await post('/api/attachments', big, 'image/png'), 413, 'attachment_too_large');
  const huge = Buffer.alloc(ChatLimits.audioBytes + 1024);
  await expectError(t, await postEarlyAnswer('/api/attachments', huge, 'audio/wav'), 413, 'body_too_large');
});

t.test('bad chat requests', async (t) => {
  const fake = await startFakeLlmText(stack.nats.url);
  t.teardown(() => fake.close());
  const text = (s: string) => ({ type: 'text', text: s });
  const msg = (...content: unknown[]) => ({ message: { role: 'user', content } });
  await expectError(t, await post('/api/chat', chatBody({ model: 'no-such-model', ...msg(text('hi')) }), 'application/json'), 404, 'unknown_model');
  await expectError(t, await post('/api/chat', chatBody(msg(text('  '))), 'application/json'), 400, 'empty_message');
  await expectError(t, await post('/api/chat', chatBody(msg()), 'application/json'), 400, 'empty_message');
  await expectError(t, await post('/api/chat', chatBody(msg(...Array.from({ length: 17 }, () => text('x')))), 'application/json'), 400, 'too_many_parts');
  await expectError(t, await post('/api/chat', chatBody(msg(text('x'.repeat(ChatLimits.textChars + 1)))), 'application/json'), 400, 'text_too_long');
  await expectError(t, await post('/api/chat', '{"model": "fake-fast", "message": ', 'application/json'), 400, 'invalid_json');
  await expectError(t, await post('/api/chat', 'model=fake-fast', 'text/plain'), 415, 'unsupported_media_type');
  await expectError(t, await post('/api/chat', JSON.stringify({ pad: 'x'.repeat(1_100_000) }), 'application/json'), 413, 'body_too_large');
  await expectError(t, await post('/api/chat', chatBody({ ...msg(text('hi')), tools: [] }), 'application/json'), 400, 'invalid_request');
});

t.test('after all of it: still serving, nothing logged as a crash', async (t) => {
  t.equal((await fetch(`${base}/healthz`)).status, 200);
  // The 503 of the first test is logged as a failed request on purpose (a service is down); a
  // crash is anything at error level that is not one of the gateway's own refusals.
  const crashes = stack.logs('gateway').filter((line) => /"level":60/.test(line) || (/"level":50/.test(line) && !/"type":"ServiceError"/.test(line)));
  t.same(crashes, [], 'no crash in the logs');
});
