import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { WebSocketServer } from 'ws';
import { bypassed, proxyFor } from '@voxgate/service-kit';
import { startConnectProxy } from '../../../test/helpers/connect-proxy.js';
import { startNatsServer } from '../../../test/helpers/nats-server.js';
import { connectClient, startRelay } from './relay-process.js';

t.test('NO_PROXY matching', async (t) => {
  const cases: [string, string, boolean][] = [
    ['wss://api.openai.com/v1/realtime', 'api.openai.com', true],
    ['wss://api.openai.com/v1/realtime', 'API.OpenAI.com', true],
    ['wss://api.openai.com/v1/realtime', 'openai.com', false],
    ['wss://api.openai.com/v1/realtime', '.openai.com', true],
    ['wss://openai.com/v1/realtime', '.openai.com', true],
    ['wss://api.openai.com/v1/realtime', '*.openai.com', true],
    ['wss://notopenai.com/', '.openai.com', false],
    ['wss://api.openai.com/', '*', true],
    ['wss://api.openai.com/', 'example.com, api.openai.com', true],
    ['wss://api.openai.com/', 'example.com api.openai.com', true],
    ['wss://api.openai.com/', ' , ,', false],
    ['wss://api.openai.com/', 'api.openai.com:443', true],
    ['wss://api.openai.com/', 'api.openai.com:8443', false],
    ['ws://sim.local/', 'sim.local:80', true],
    ['ws://sim.local:8790/', 'sim.local:80', false],
    ['ws://127.0.0.1:8790/', '127.0.0.1', true],
    ['ws://127.0.0.10:8790/', '127.0.0.1', false],
    ['ws://[::1]:8790/', '::1', true],
    ['ws://[::1]:8790/', '[::1]:8790', true],
    ['ws://[::1]:8790/', '[::1]:1', false],
    ['ws://[fe80::1]:8790/', 'fe80::1', true],
    ['ws://[::1]:8790/', '::2', false],
    ['wss://api.openai.com/', '', false],
  ];
  for (const [target, noProxy, expected] of cases) {
    t.equal(bypassed(new URL(target), noProxy), expected, `${target} with NO_PROXY='${noProxy}'`);
  }
  t.equal(bypassed(new URL('wss://api.openai.com/'), undefined), false, 'unset');
});

t.test('proxyFor picks the proxy by the target scheme', async (t) => {
  const settings = { HTTP_PROXY: 'http://plain:3128', HTTPS_PROXY: 'http://secure:3128', NO_PROXY: 'localhost' };
  t.equal(proxyFor(new URL('wss://api.openai.com/'), settings)?.host, 'secure:3128', 'wss: HTTPS_PROXY');
  t.equal(proxyFor(new URL('ws://sim:8790/'), settings)?.host, 'plain:3128', 'ws: HTTP_PROXY');
  t.equal(proxyFor(new URL('wss://api.openai.com/'), { HTTP_PROXY: 'http://plain:3128' })?.host, 'plain:3128', 'wss: falls back to HTTP_PROXY');
  t.equal(proxyFor(new URL('ws://sim:8790/'), { HTTPS_PROXY: 'http://secure:3128' }), undefined, 'ws: never HTTPS_PROXY');
  t.equal(proxyFor(new URL('wss://localhost/'), settings), undefined, 'NO_PROXY');
});

t.test('a wss: provider through the CONNECT tunnel, its certificate checked', async (t) => {
  // A self-signed certificate for localhost, trusted by the relay through NODE_EXTRA_CA_CERTS.
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-relay-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'],
    { stdio: 'ignore' },
  );

  // A TLS provider speaking just enough GA: session.created, and response.done for response.create.
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) });
  const wss = new WebSocketServer({ server });
  const seen: { authorization: string | undefined; url: string | undefined }[] = [];
  wss.on('connection', (socket, request) => {
    seen.push({ authorization: request.headers.authorization, url: request.url });
    socket.send(JSON.stringify({ type: 'session.created', event_id: 'ev_1', session: { type: 'realtime', id: 'sess_tls' } }));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'response.create') {
        socket.send(JSON.stringify({ type: 'response.done', response: { id: 'resp_tls', status: 'completed' } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.teardown(() => new Promise<void>((resolve) => wss.close(() => server.close(() => resolve()))));

  const proxy = await startConnectProxy();
  t.teardown(() => proxy.close());
  const nats = await startNatsServer();
  t.teardown(() => nats.dispose());
  const baseEnv = {
    NATS_URL: nats.url,
    OPENAI_API_KEY: 'sk-test-tls',
    OPENAI_REALTIME_URL: `wss://localhost:${port}/openai/v1/realtime`,
    HTTPS_PROXY: proxy.url,
  };

  const relay = await startRelay({ ...baseEnv, NODE_EXTRA_CA_CERTS: certFile });
  t.teardown(() => relay.proc.stop());
  const client = await connectClient(`${relay.url}/v1/realtime?model=gpt-realtime`);
  t.has(await client.next('session.created'), { session: { id: 'sess_tls' } });
  client.send({ type: 'response.create' });
  t.has(await client.next('response.done'), { response: { id: 'resp_tls' } });
  t.equal(proxy.tunnels.get(`localhost:${port}`), 1, 'one CONNECT tunnel to the provider');
  t.same(seen, [{ authorization: 'Bearer sk-test-tls', url: '/openai/v1/realtime?model=gpt-realtime' }], 'the key and model arrived inside TLS');
  client.ws.close();
  await client.closed;

  // Without trusting the certificate the provider is refused: TLS is verified inside the tunnel.
  const untrusting = await startRelay(baseEnv);
  t.teardown(() => untrusting.proc.stop());
  const refused = await connectClient(`${untrusting.url}/v1/realtime?model=gpt-realtime`);
  const closed = await refused.closed;
  t.equal(closed.code, 1011);
  t.has(refused.events.find((e) => e.type === 'error'), { error: { code: 'provider_unavailable' } });
  t.equal(seen.length, 1, 'the untrusted provider never got the key');
});
