import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { bodyOf, leanFetch } from '../src/providers/lean-fetch.js';

/** A local server that records each request and answers as `answer` says. */
async function serve(t: { teardown(fn: () => void): void }, answer: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (piece: string) => {
      body += piece;
    });
    req.on('end', () => answer(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An empty body, for a response that has none. */
async function* noChunks(): AsyncIterable<Uint8Array> {}

async function textOf(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

t.test('a JSON request goes out with its method, headers and body; the reply streams from the socket', async (t) => {
  const base = await serve(t, (req, body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-seen': `${req.method} ${req.headers.authorization} ${body}` });
    res.write('data: one\n\n');
    setTimeout(() => res.end('data: two\n\n'), 20);
  });
  const response = await leanFetch(`${base}/v1/chat`, { method: 'POST', headers: new Headers({ authorization: 'Bearer k' }), body: '{"a":1}' });
  t.equal(response.status, 200);
  t.equal(response.headers.get('x-seen'), 'POST Bearer k {"a":1}');
  const body = bodyOf(response);
  t.ok(body, 'the body is there');
  t.notOk(body?.chunks instanceof ReadableStream, 'read from the socket, not through a web stream');
  t.equal(await textOf(body?.chunks ?? noChunks()), 'data: one\n\ndata: two\n\n');
});

t.test('an error reply keeps its status and its body for the SDK to read', async (t) => {
  const base = await serve(t, (_req, _body, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
    res.end('{"error":{"message":"slow down"}}');
  });
  const response = await leanFetch(`${base}/x`, { method: 'POST', body: '{}' });
  t.equal(response.status, 429);
  t.equal(response.ok, false);
  t.equal(response.headers.get('retry-after'), '2');
  t.same(await response.json(), { error: { message: 'slow down' } });
  await t.rejects(textOf(bodyOf(response)?.chunks ?? noChunks()), 'a body already read is not read again from the socket');
});

t.test('a reply without a body is a response without one', async (t) => {
  const base = await serve(t, (_req, _body, res) => {
    res.writeHead(204);
    res.end();
  });
  const response = await leanFetch(`${base}/x`, { method: 'DELETE' });
  t.equal(response.status, 204);
  t.equal(response.body, null);
});

t.test('an abort ends the request while its body is being read', async (t) => {
  const base = await serve(t, (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n');
  });
  const controller = new AbortController();
  const response = await leanFetch(`${base}/x`, { method: 'POST', body: '{}', signal: controller.signal });
  const body = bodyOf(response);
  const reading = textOf(body?.chunks ?? noChunks());
  setTimeout(() => controller.abort(new Error('stopped')), 20);
  await t.rejects(reading, 'reading fails once aborted');
});

t.test('a non-string body (a multipart upload) goes through the global fetch', async (t) => {
  const base = await serve(t, (req, body, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${req.headers['content-type']?.split(';')[0]} ${body.includes('hello') ? 'with file' : 'without file'}`);
  });
  const form = new FormData();
  form.append('file', new Blob(['hello']), 'a.txt');
  const response = await leanFetch(`${base}/upload`, { method: 'POST', body: form });
  t.equal(await response.text(), 'multipart/form-data with file');
});

t.test('the rest of a reply after its answer ends is read out, not cut: its connection serves the next request', async (t) => {
  const base = await serve(t, (req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-client-port': String(req.socket.remotePort) });
    res.write('data: one\n\ndata: [DONE]\n\n');
    // The reply ends a little after the answer's end, as over a slow link.
    setTimeout(() => res.end(), 30);
  });
  const ports = new Set<string | null>();
  for (let i = 0; i < 3; i++) {
    const response = await leanFetch(`${base}/x`, { method: 'POST', body: '{}' });
    ports.add(response.headers.get('x-client-port'));
    const body = bodyOf(response);
    for await (const chunk of body?.chunks ?? noChunks()) if (Buffer.from(chunk).includes('[DONE]')) break;
    body?.release();
    await new Promise((r) => setTimeout(r, 60));
  }
  t.equal(ports.size, 1, 'one connection for all three');
});
