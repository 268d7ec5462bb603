import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { type Delivery, pause } from './delivery.js';
import { SSE_HEADERS, writeFrame } from './sse.js';

/** How one provider frames a streamed answer. Frames are complete SSE events. */
export interface StreamFraming {
  headers: Readonly<Record<string, string>>;
  /** Events before the first token, such as OpenAI's role announcement. */
  head(): string[];
  token(text: string, index: number, isLast: boolean): string;
  /** Events after the last token: finish reason, usage, `[DONE]`. */
  tail(): string[];
}

/**
 * Streams `tokens` as server-sent events, paced by `delivery`. Headers go out at once; a stall
 * then keeps the stream silent, as a provider that accepted the request but has not started
 * answering would. A disconnect fault cuts the socket without a closing event.
 */
export async function streamTokens(
  reply: FastifyReply,
  tokens: readonly string[],
  delivery: Delivery,
  closing: AbortSignal,
  framing: StreamFraming,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  const signal = AbortSignal.any([closing, whenGone(raw)]);
  raw.writeHead(200, { ...SSE_HEADERS, ...framing.headers });
  raw.flushHeaders();
  if (!(await pause(delivery.stallMs, signal))) return void raw.destroy();
  for (const frame of framing.head()) if (!(await writeFrame(raw, frame))) return;
  for (const [index, text] of tokens.entries()) {
    if (index === delivery.disconnectAfterTokens) return cut(raw);
    if (delivery.tokenDelayMs > 0 && !(await pause(delivery.tokenDelayMs, signal))) return void raw.destroy();
    if (!(await writeFrame(raw, framing.token(text, index, index === tokens.length - 1)))) return;
  }
  if (delivery.disconnectAfterTokens !== undefined) return cut(raw);
  for (const frame of framing.tail()) if (!(await writeFrame(raw, frame))) return;
  raw.end();
}

/**
 * Waits as long as generating `tokenCount` tokens would take under `delivery`, then resolves
 * true for the caller to send the whole answer; resolves false after cutting the connection,
 * when a disconnect fault applies or the simulator is closing.
 */
export async function awaitWholeAnswer(
  reply: FastifyReply,
  tokenCount: number,
  delivery: Delivery,
  closing: AbortSignal,
): Promise<boolean> {
  const signal = AbortSignal.any([closing, whenGone(reply.raw)]);
  const waited = await pause(delivery.stallMs + delivery.tokenDelayMs * tokenCount, signal);
  if (waited && delivery.disconnectAfterTokens === undefined) return true;
  reply.hijack();
  reply.raw.destroy();
  return false;
}

/** How long a cut connection may wait for the client's side of the close before it is destroyed. */
const CUT_GRACE_MS = 1_000;

/**
 * Closes the TCP connection once what was written has gone out, leaving the HTTP body unfinished.
 * Destroying the response at once would also discard tokens still corked in the socket, and the
 * client would never see the part of the answer that came before the cut.
 */
function cut(raw: ServerResponse): void {
  const socket = raw.socket;
  if (socket === null) return void raw.destroy();
  socket.end();
  setTimeout(() => socket.destroy(), CUT_GRACE_MS).unref();
}

/** Aborts when the response's connection closes, whether finished or dropped by the client. */
function whenGone(raw: ServerResponse): AbortSignal {
  const gone = new AbortController();
  if (raw.closed) gone.abort();
  else raw.once('close', () => gone.abort());
  return gone.signal;
}
