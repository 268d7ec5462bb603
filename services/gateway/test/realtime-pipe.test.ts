import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import t from 'tap';
import { WebSocket, WebSocketServer } from 'ws';
import { pipeSockets, type PipeHandle } from '../src/realtime/pipe.js';
import { dialRelay, type DialResult } from '../src/realtime/relay-dial.js';

type Teardown = { teardown(fn: () => void): void };

// dialRelay + pipeSockets between a real `ws` client and a real `ws` server standing in for a relay.

const listen = async (server: Server | ReturnType<typeof createTcpServer>) => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
};

/** A relay stand-in: echoes frames, records the upgrade request, refuses with 503 when told to. */
async function fakeRelay(t: Teardown) {
  const seen: IncomingMessage[] = [];
  const sockets = new Set<WebSocket>();
  let refuse = false;
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    seen.push(request);
    if (refuse) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  const port = await listen(server);
  t.teardown(() => {
    for (const ws of sockets) ws.terminate();
    server.close();
  });
  return {
    address: `ws://127.0.0.1:${port}`,
    seen,
    sockets,
    refuseNext: (value: boolean) => {
      refuse = value;
    },
  };
}

/** A gateway stand-in: every upgrade is dialed to `address()` and piped, as the real route does. */
async function fakeGateway(t: Teardown, address: () => string) {
  const results: DialResult[] = [];
  const ends: string[] = [];
  const pipes: PipeHandle[] = [];
  const server = createServer();
  server.on('upgrade', async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const result = await dialRelay({ address: address(), request, clientHead: head, requestId: 'req-1', timeoutMs: 500, signal: new AbortController().signal });
    results.push(result);
    if (result.kind === 'upgraded') pipes.push(pipeSockets({ client: socket, relay: result.socket, received: result.received, clientHead: head, onEnd: (why) => ends.push(why) }));
    else {
      if (result.kind === 'refused') result.socket.destroy();
      socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    }
  });
  const port = await listen(server);
  t.teardown(() => server.close());
  return { url: `ws://127.0.0.1:${port}`, results, ends, pipes };
}

const opened = (ws: WebSocket) =>
  new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });

t.test('frames pass both ways; credentials stay at the gateway; the path is the relay’s', async (t) => {
  const relay = await fakeRelay(t);
  const gateway = await fakeGateway(t, () => relay.address);
  const client = new WebSocket(`${gateway.url}/v1/realtime?model=gpt-realtime&conversation_id=abcdefgh1234&other=x`, ['realtime', 'openai-insecure-api-key.sk-secret'], {
    headers: { authorization: 'Bearer gateway-key', cookie: 'a=b', 'x-request-id': 'client-chosen', 'openai-beta': 'realtime=v1' },
  });
  await opened(client);
  t.equal(client.protocol, 'realtime', 'the relay chose a subprotocol the client offered');
  const request = relay.seen[0];
  t.equal(request?.url, '/v1/realtime?model=gpt-realtime&conversation_id=abcdefgh1234', 'only the parameters the relay reads');
  t.equal(request?.headers.authorization, undefined, 'no Authorization');
  t.equal(request?.headers.cookie, undefined, 'no Cookie');
  t.equal(request?.headers['x-request-id'], 'req-1', "the gateway's request id");
  t.equal(request?.headers['sec-websocket-protocol'], 'realtime', 'the key subprotocol is dropped');
  t.equal(request?.headers['openai-beta'], 'realtime=v1', 'other headers pass');

  const big = Buffer.alloc(300_000, 7);
  client.send('{"type":"ping"}');
  client.send(big);
  const answers: Buffer[] = [];
  client.on('message', (data) => answers.push(data as Buffer));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (answers.length === 2) resolve(clearInterval(check));
    }, 10);
  });
  t.equal(answers[0]?.toString(), '{"type":"ping"}');
  t.same(answers[1], big, 'a large binary frame arrives byte for byte');
  client.close(1000);
  const [code] = (await once(client, 'close')) as [number];
  t.equal(code, 1000, 'the close handshake goes through the pipe');
});

t.test('the relay going away closes the client within a second, and vice versa', async (t) => {
  const relay = await fakeRelay(t);
  const gateway = await fakeGateway(t, () => relay.address);
  const client = new WebSocket(`${gateway.url}/v1/realtime?model=m`);
  await opened(client);
  const started = Date.now();
  for (const ws of relay.sockets) ws.terminate();
  await once(client, 'close');
  t.ok(Date.now() - started < 1_000, 'client closed after the relay vanished');

  const second = new WebSocket(`${gateway.url}/v1/realtime?model=m`);
  await opened(second);
  const [relaySide] = [...relay.sockets];
  t.ok(relaySide);
  const closedAt = Date.now();
  second.terminate();
  if (relaySide) await once(relaySide, 'close');
  t.ok(Date.now() - closedAt < 1_000, 'relay side closed after the client vanished');
  t.equal(gateway.ends.length, 2, 'each pipe ended once');
});

t.test('refusals and failures are reported, not thrown', async (t) => {
  const relay = await fakeRelay(t);
  const silent = createTcpServer((socket: Socket) => socket.on('error', () => {}));
  const silentPort = await listen(silent);
  t.teardown(() => silent.close());
  const closed = createTcpServer();
  const closedPort = await listen(closed);
  closed.close();
  let address = relay.address;
  const gateway = await fakeGateway(t, () => address);
  const attempt = async () => {
    const ws = new WebSocket(`${gateway.url}/v1/realtime?model=m`);
    // events.once would reject on the 'error' that precedes the close.
    await new Promise<void>((resolve) => {
      ws.on('error', () => {});
      ws.on('close', () => resolve());
    });
    return gateway.results.at(-1);
  };

  relay.refuseNext(true);
  t.has(await attempt(), { kind: 'refused', statusCode: 503 });
  address = `ws://127.0.0.1:${closedPort}`;
  t.has(await attempt(), { kind: 'failed', reason: 'ECONNREFUSED' });
  address = `ws://127.0.0.1:${silentPort}`;
  t.match(await attempt(), { kind: 'failed', reason: /no answer within 500 ms/ });
  address = 'wss://127.0.0.1:1';
  t.match(await attempt(), { kind: 'failed', reason: /unsupported scheme/ });
});

/** A relay stand-in at the byte level: answers the upgrade itself, then writes what the test says. */
async function rawRelay(t: Teardown) {
  let socket: Socket | undefined;
  const received: Buffer[] = [];
  const ready = new Promise<Socket>((resolve) => {
    const server = createTcpServer((s: Socket) => {
      socket = s;
      s.on('error', () => {});
      let head = '';
      const onHead = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        s.off('data', onHead);
        s.on('data', (data: Buffer) => received.push(data));
        const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? '';
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        resolve(s);
      };
      s.on('data', onHead);
    });
    void listen(server).then((port) => {
      address = `ws://127.0.0.1:${port}`;
      resolveAddress();
    });
    t.teardown(() => {
      socket?.destroy();
      server.close();
    });
  });
  let address = '';
  let resolveAddress: () => void = () => {};
  await new Promise<void>((resolve) => {
    resolveAddress = resolve;
  });
  return { address, ready, received: () => Buffer.concat(received) };
}

/** The first close frame in bytes a client sent (masked), as its code. */
function maskedCloseCode(bytes: Buffer): number | undefined {
  for (let i = 0; i + 8 <= bytes.length; i++) {
    if (bytes[i] !== 0x88 || ((bytes[i + 1] ?? 0) & 0x80) === 0) continue;
    const key = bytes.subarray(i + 2, i + 6);
    return (((bytes[i + 6] ?? 0) ^ (key[0] ?? 0)) << 8) | ((bytes[i + 7] ?? 0) ^ (key[1] ?? 0));
  }
  return undefined;
}

t.test('a shutdown close waits for the frame in progress, then gives the client the notice and 1001, the relay a 1001', async (t) => {
  const relay = await rawRelay(t);
  const gateway = await fakeGateway(t, () => relay.address);
  const client = new WebSocket(`${gateway.url}/v1/realtime?model=m`);
  const messages: string[] = [];
  client.on('message', (data) => messages.push(data.toString()));
  const clientClosed = once(client, 'close') as Promise<[number, Buffer]>;
  await opened(client);
  const relaySocket = await relay.ready;

  // The relay has written half of a 100 kB text frame when the gateway shuts down.
  const payload = Buffer.alloc(100_000, 'a');
  const header = Buffer.from([0x81, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(payload.length, 6);
  relaySocket.write(Buffer.concat([header, payload.subarray(0, 50_000)]));
  await new Promise((r) => setTimeout(r, 100));
  const pipe = gateway.pipes[0];
  if (!pipe) throw new Error('no pipe');
  const closing = pipe.close(1001, 'gateway shutting down', '{"type":"error","error":{"code":"shutting_down"}}');
  relaySocket.write(payload.subarray(50_000));

  const [code] = await clientClosed;
  await closing;
  t.equal(code, 1001, 'the client sees a 1001 close, not 1006');
  t.equal(messages.length, 2, 'the half-sent frame arrived whole, then one more');
  t.equal(messages[0]?.length, payload.length, 'the frame in progress was not cut');
  t.equal(messages[1], '{"type":"error","error":{"code":"shutting_down"}}', 'the notice came just before the close');
  t.equal(maskedCloseCode(relay.received()), 1001, 'the relay got a masked close frame with 1001');
  t.same(gateway.ends, ['gateway shutting down']);
});

/** A client of the fake gateway over a raw relay, with the messages it got and how it closed. */
async function clientOverRawRelay(t: Teardown) {
  const relay = await rawRelay(t);
  const gateway = await fakeGateway(t, () => relay.address);
  const client = new WebSocket(`${gateway.url}/v1/realtime?model=m`);
  const messages: string[] = [];
  client.on('message', (data) => messages.push(data.toString()));
  client.on('error', () => {});
  const closed = once(client, 'close') as Promise<[number, Buffer]>;
  await opened(client);
  return { relaySocket: await relay.ready, gateway, messages, closed };
}

/** An unmasked (relay-to-client) frame header for a payload of `length` bytes, up to 65 535. */
const relayFrameHeader = (opcode: number, length: number) =>
  length < 126 ? Buffer.from([0x80 | opcode, length]) : Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]);

t.test('a relay that vanishes between frames: the client gets a relay_lost event, then a 1014 close', async (t) => {
  const { relaySocket, gateway, messages, closed } = await clientOverRawRelay(t);
  relaySocket.write(Buffer.concat([relayFrameHeader(0x1, 5), Buffer.from('hello')]));
  await new Promise((r) => setTimeout(r, 50));
  relaySocket.destroy();

  const [code, reason] = await closed;
  t.equal(code, 1014, 'a 1014 close (bad gateway), not 1006');
  t.equal(reason.toString(), 'relay_lost');
  t.equal(messages.length, 2, 'the frame the relay sent, then the notice');
  t.equal(messages[0], 'hello');
  t.match(JSON.parse(messages[1] ?? '{}'), { type: /^error$/, error: { type: 'server_error', code: 'relay_lost', message: /voice relay stopped/ } });
  t.match(gateway.ends, [/relay ended: client told relay_lost/]);
});

t.test('a relay that vanishes mid-frame: the client is cut as before (no frame may be inserted there)', async (t) => {
  const { relaySocket, gateway, messages, closed } = await clientOverRawRelay(t);
  relaySocket.write(Buffer.concat([relayFrameHeader(0x1, 1_000), Buffer.alloc(400, 'a')]));
  await new Promise((r) => setTimeout(r, 50));
  relaySocket.destroy();

  const [code] = await closed;
  t.equal(code, 1006, 'a bare cut');
  t.same(messages, [], 'no message: the half frame is not completed by a notice');
  t.same(gateway.ends, ['relay ended']);
});

t.test('a relay that closed properly before vanishing: its own close code reaches the client, no notice', async (t) => {
  const { relaySocket, messages, closed } = await clientOverRawRelay(t);
  const payload = Buffer.from([0x0f, 0xa0]); // 4000
  relaySocket.write(Buffer.concat([relayFrameHeader(0x8, payload.length), payload]));
  await new Promise((r) => setTimeout(r, 50));
  relaySocket.destroy();

  const [code] = await closed;
  t.equal(code, 4000, "the relay's close code");
  t.same(messages, [], 'no relay_lost notice after a close frame');
});
