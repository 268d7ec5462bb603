import WebSocket from 'ws';

/**
 * Another Node process's V8, reached through its inspector (Chrome DevTools protocol over a
 * WebSocket on loopback): used to collect its garbage before reading its memory, so that what a
 * figure counts is what the process holds, not how much garbage it had not yet collected. The
 * process must have been started with `--inspect=127.0.0.1:0` (or call `inspector.open`).
 */

/** Memory of a process right after a full garbage collection. */
export interface SettledMemory {
  readonly rssBytes: number;
  /** Live JavaScript objects. */
  readonly heapUsedBytes: number;
  /** Memory outside the JS heap held by JS objects: Buffers, socket and zlib state. */
  readonly externalBytes: number;
}

const INSPECTOR_URL = /Debugger listening on (ws:\/\/\S+)/;

/** The inspector address a process announced on its stderr, if any. */
export function inspectorUrlIn(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const found = INSPECTOR_URL.exec(line)?.[1];
    if (found) return found;
  }
  return undefined;
}

export class Inspector {
  readonly #ws: WebSocket;
  readonly #waiting = new Map<number, (message: { result?: unknown; error?: { message: string } }) => void>();
  #nextId = 1;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      this.#waiting.get(message.id)?.(message);
      this.#waiting.delete(message.id);
    });
  }

  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Inspector(ws);
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, (message) => (message.error ? reject(new Error(`${method}: ${message.error.message}`)) : resolve(message.result)));
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Two full collections (the second frees what the first only finalised), then `process.memoryUsage()`. */
  async settledMemory(): Promise<SettledMemory> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
    const evaluated = (await this.call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as {
      result: { value: string };
    };
    const usage = JSON.parse(evaluated.result.value) as NodeJS.MemoryUsage;
    return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external };
  }

  close(): void {
    this.#ws.close();
  }
}
