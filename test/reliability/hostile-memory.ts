import { WebSocket } from 'ws';

/** A service's memory right after a full garbage collection, in bytes. */
export interface MemoryAfterGc {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

/** The inspector address a process started with `--inspect=127.0.0.1:0` printed among its log lines. */
export function inspectorUrl(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const url = /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
    if (url) return url;
  }
  return undefined;
}

/**
 * Asks a process through its inspector to collect garbage, then reads `process.memoryUsage()`: what
 * is left is what it really holds, not garbage the collector has not got round to yet.
 */
export async function memoryAfterGc(inspector: string, timeoutMs = 10_000): Promise<MemoryAfterGc> {
  const ws = new WebSocket(inspector, { perMessageDeflate: false });
  const pending = new Map<number, (result: unknown) => void>();
  let nextId = 1;
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  const work = (async () => {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await call('HeapProfiler.collectGarbage');
    const result = (await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as {
      result: { value: string };
    };
    const usage = JSON.parse(result.result.value) as { rss: number; heapUsed: number };
    return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed };
  })();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the inspector at ${inspector} did not answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    ws.close();
  }
}
