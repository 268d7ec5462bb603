import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A real local HTTP proxy that counts what went through it. */
export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`, for HTTP_PROXY / HTTPS_PROXY. */
  readonly url: string;
  /** CONNECT tunnels opened, by target `host:port`. */
  readonly tunnels: Map<string, number>;
  /** Plain-HTTP requests forwarded by absolute URI, by target `host:port`. */
  readonly forwarded: Map<string, number>;
  /** Tunnels plus forwarded requests, over every target. */
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

function bump(counter: Map<string, number>, key: string): void {
  counter.set(key, (counter.get(key) ?? 0) + 1);
}

/**
 * What a corporate proxy does: `CONNECT host:port` opens a TCP tunnel to the target (HTTPS, and
 * clients that tunnel plain HTTP too), and an absolute-URI request (`GET http://host/path`) is
 * forwarded. Each is counted, so a test can prove a request went through it.
 */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels = new Map<string, number>();
  const forwarded = new Map<string, number>();
  const sockets = new Set<Socket>();

  const server: Server = createServer((req: IncomingMessage, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI required');
      return;
    }
    bump(forwarded, target.host);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(':');
    if (!host || !port) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    bump(tunnels, `${host}:${port}`);
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    forwarded,
    total: () => [...tunnels.values(), ...forwarded.values()].reduce((a, b) => a + b, 0),
    reset() {
      tunnels.clear();
      forwarded.clear();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
