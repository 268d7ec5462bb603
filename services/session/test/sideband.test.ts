import type { AddressInfo } from 'node:net';
import t from 'tap';
import { WebSocketServer } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import { startConnectProxy } from '../../../test/helpers/connect-proxy.js';
import { followSideband, sidebandUrl } from '../src/sideband.js';

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as unknown as FastifyBaseLogger;

t.test('the sideband URL names the call, not a model', async (t) => {
  t.equal(sidebandUrl('wss://api.openai.com/v1/realtime', 'rtc_1').href, 'wss://api.openai.com/v1/realtime?call_id=rtc_1');
  t.equal(sidebandUrl('ws://sim:1/openai/v1/realtime?model=x', 'rtc_2').href, 'ws://sim:1/openai/v1/realtime?call_id=rtc_2');
});

t.test('a call is followed through the CONNECT proxy with the server key', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  const seen: { url: string | undefined; authorization: string | undefined }[] = [];
  wss.on('connection', (socket, request) => {
    seen.push({ url: request.url, authorization: request.headers.authorization });
    socket.send(JSON.stringify({ type: 'session.created', session: { id: 'sess_1' } }));
    socket.send('not json');
    socket.send(JSON.stringify({ type: 'response.done', response: { id: 'resp_1' } }));
    setTimeout(() => socket.close(1000), 50);
  });
  const proxy = await startConnectProxy();
  t.teardown(() => proxy.close());
  const port = (wss.address() as AddressInfo).port;
  const events: unknown[] = [];
  const closed = new Promise<boolean>((resolve) => {
    followSideband(
      { url: `ws://127.0.0.1:${port}/v1/realtime`, apiKey: 'sk-side', proxy: { HTTP_PROXY: proxy.url }, connectTimeoutMs: 2_000 },
      'rtc_side',
      { onEvent: (event) => events.push(event), onClose: resolve },
      silent,
    );
  });
  t.equal(await closed, true, 'it had opened');
  t.same(seen, [{ url: '/v1/realtime?call_id=rtc_side', authorization: 'Bearer sk-side' }]);
  t.same(events.map((e) => (e as { type: string }).type), ['session.created', 'response.done'], 'a frame that is not JSON is skipped');
  t.equal(proxy.tunnels.get(`127.0.0.1:${port}`), 1, 'through the tunnel');
});

t.test('a refused sideband closes without having opened', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: (_info, done) => done(false, 404) });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  const port = (wss.address() as AddressInfo).port;
  const wasOpen = await new Promise<boolean>((resolve) => {
    followSideband({ url: `ws://127.0.0.1:${port}/v1/realtime`, apiKey: 'k', proxy: {}, connectTimeoutMs: 2_000 }, 'rtc_none', { onEvent() {}, onClose: resolve }, silent);
  });
  t.equal(wasOpen, false);
});
