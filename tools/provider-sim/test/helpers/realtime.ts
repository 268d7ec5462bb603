import WebSocket from 'ws';

export type ServerEvent = Record<string, unknown> & { type: string };

/** A plain `ws` client that keeps every server event and lets a test wait for the next one of a kind. */
export class EventClient {
  readonly events: ServerEvent[] = [];
  #cursor = 0;
  #waiters: (() => void)[] = [];
  closed: Promise<{ code: number }>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.events.push(JSON.parse(String(data)) as ServerEvent);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code) => {
      for (const wake of this.#waiters.splice(0)) wake();
      resolve({ code });
    }));
  }

  static async connect(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<EventClient> {
    const { protocols, ...rest } = options;
    const socket = new WebSocket(url, protocols ?? [], rest);
    const client = new EventClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(event: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(event));
  }

  /** The next event (after those already taken) of `type` matching `where`; skipped ones stay readable in `events`. */
  async next(type: string, where: (e: ServerEvent) => boolean = () => true, timeoutMs = 5000): Promise<ServerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; this.#cursor < this.events.length; this.#cursor++) {
        const event = this.events[this.#cursor];
        if (event && event.type === type && where(event)) {
          this.#cursor += 1;
          return event;
        }
      }
      if (this.socket.readyState !== WebSocket.OPEN) throw new Error(`socket closed while waiting for ${type}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting for ${type}; saw ${this.events.map((e) => e.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Events of `type` received since index `from`. */
  since(from: number, type?: string): ServerEvent[] {
    return this.events.slice(from).filter((e) => type === undefined || e.type === type);
  }

  close(): void {
    this.socket.close();
  }
}

/** The HTTP status a refused upgrade answered with, and its JSON body. */
export function refusedUpgrade(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.on('open', () => reject(new Error('upgrade was accepted')));
    socket.on('error', () => {});
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(body || 'null'), headers: response.headers }));
    });
  });
}

/** PCM16 mono: `toneMs` of a 440 Hz sine at -10 dBFS, then `silenceMs` of silence. */
export function speechThenSilence(toneMs: number, silenceMs: number, rateHz: number): Buffer {
  const toneSamples = Math.round((toneMs * rateHz) / 1000);
  const pcm = Buffer.alloc((toneSamples + Math.round((silenceMs * rateHz) / 1000)) * 2);
  for (let i = 0; i < toneSamples; i++) pcm.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rateHz) * 0.3 * 32767), i * 2);
  return pcm;
}

/** Splits PCM16 into frames of `frameMs`, as a microphone sends it. */
export function frames(pcm: Buffer, frameMs: number, rateHz: number): Buffer[] {
  const size = ((rateHz * frameMs) / 1000) * 2;
  const out: Buffer[] = [];
  for (let offset = 0; offset < pcm.length; offset += size) out.push(pcm.subarray(offset, offset + size));
  return out;
}

/** Total PCM16 duration in ms of base64 deltas at `rateHz`. */
export function deltasDurationMs(events: ServerEvent[], rateHz: number): number {
  const bytes = events.reduce((sum, e) => sum + Buffer.from(String(e.delta), 'base64').length, 0);
  return (bytes / 2 / rateHz) * 1000;
}
