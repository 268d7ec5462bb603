import type { ServerResponse } from 'node:http';

/** A comment line every so often keeps proxies and browsers from dropping a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * A `text/event-stream` response written by hand on a hijacked reply: Fastify's serialisation and
 * its once-only `send` do not fit a response that lasts as long as a turn.
 */
export class SseWriter {
  private readonly heartbeat: NodeJS.Timeout;
  private ended = false;

  constructor(private readonly raw: ServerResponse) {
    // Not flushed here: the head goes out in one write with the first event (see `flush`).
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), HEARTBEAT_MS);
    raw.once('close', () => this.stop());
  }

  /** True once the client went away or `end` was called. */
  get closed(): boolean {
    return this.ended || this.raw.destroyed || this.raw.writableEnded;
  }

  /** Sends the head on its own, for a stream with no event to send yet (one resumed mid-turn). */
  flush(): void {
    if (!this.closed) this.raw.flushHeaders();
  }

  send(event: string, data: unknown, id?: number): void {
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    // JSON.stringify never emits a raw newline, so one `data:` line carries the whole event.
    this.write(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** A data-only event, as OpenAI's streams send them (`data: [DONE]` is passed as a string). */
  data(payload: unknown): void {
    this.write(`data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`);
  }

  end(): void {
    if (this.ended) return;
    this.stop();
    if (!this.raw.writableEnded) this.raw.end();
  }

  private write(text: string): void {
    if (!this.closed) this.raw.write(text);
  }

  private stop(): void {
    this.ended = true;
    clearInterval(this.heartbeat);
  }
}
