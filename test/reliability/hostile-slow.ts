import { connect, type Socket } from 'node:net';

/** How the slow clients ended: how many the server cut, and how long the slowest lasted. */
export interface SlowResult {
  readonly clients: number;
  readonly stillOpen: number;
  readonly cutMsMax: number;
}

/**
 * Slowloris: `count` connections that send a request's headers a byte at a time (half of them) or
 * nothing at all after connecting (the other half), never finishing. A server that waited for them
 * forever would run out of sockets; it must cut each once its header timeout has passed.
 */
export function startSlowClients(
  port: number,
  count: number,
  byteEveryMs = 500,
): { openNow(): Promise<number>; finish(maxWaitMs?: number): Promise<SlowResult> } {
  const startedAt = Date.now();
  const request = Buffer.from(`GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-Slow: a\r\n'.repeat(500)}`);
  const cutAt: (number | undefined)[] = [];
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    cutAt.push(undefined);
    let sent = 0;
    const trickle = i % 2 === 0 ? setInterval(() => sent < request.length && socket.write(request.subarray(sent, ++sent)), byteEveryMs) : undefined;
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(trickle);
      cutAt[i] = Date.now() - startedAt;
    });
  }
  return {
    /** How many are still held open by the server right now. */
    async openNow() {
      return cutAt.filter((c) => c === undefined).length;
    },
    async finish(maxWaitMs = 30_000) {
      while (cutAt.some((c) => c === undefined) && Date.now() - startedAt < maxWaitMs) await new Promise((r) => setTimeout(r, 250));
      const stillOpen = cutAt.filter((c) => c === undefined).length;
      for (const socket of sockets) socket.destroy();
      return { clients: count, stillOpen, cutMsMax: Math.max(0, ...cutAt.map((c) => c ?? 0)) };
    },
  };
}
