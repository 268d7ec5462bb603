import { type ChatRequest, createParser, ErrorBody, TurnChunk, TurnStarted } from '@voxgate/protocol';
import { ApiError, failureOf } from '../api.js';
import { getTurnChunks } from './api.js';
import { readSse } from './sse.js';

/**
 * Delivery of one turn's answer, "two channels": the SSE stream of `POST /api/chat` (or, for a
 * turn started before the page was reopened, of `GET /api/turns/:id/stream`) while it lasts, then polling `GET /api/turns/:id?after=N` from the last chunk applied until the turn has ended.
 * Chunks are numbered from 1 without gaps, and only the chunk numbered last+1 is ever applied, so
 * whatever mix of channels delivers them, the answer has no gap and no duplicate.
 */

/** `streaming`: chunks flow. `reconnecting`: the stream broke; catching up by polling. */
export type DeliveryState = 'connecting' | 'streaming' | 'reconnecting';

export interface TurnHandlers {
  started(turn: TurnStarted): void;
  /** Called once per chunk, in sequence order. */
  chunk(chunk: TurnChunk): void;
  state(state: DeliveryState): void;
}

const parsers = {
  started: createParser(TurnStarted),
  chunk: createParser(TurnChunk),
  error: createParser(ErrorBody),
};

/** How long the gateway may take to answer the POST with headers. */
const CONNECT_TIMEOUT_MS = 30_000;
/** A stream silent this long is treated as dead (a half-open connection never errors by itself). */
const IDLE_TIMEOUT_MS = 45_000;
const POLL_MS = 300;
const RETRY_MAX_MS = 5_000;

/** Applies chunks strictly in order; remembers whether the terminal chunk has been applied. */
class ChunkOrder {
  last = 0;
  ended = false;
  constructor(private readonly deliver: (chunk: TurnChunk) => void) {}

  /** False when the chunk leaves a gap: the caller must fetch what is missing first. */
  offer(chunk: TurnChunk): boolean {
    if (chunk.seq <= this.last) return true; // already applied through the other channel
    if (chunk.seq !== this.last + 1) return false;
    this.last = chunk.seq;
    if (chunk.type === 'done' || chunk.type === 'error') this.ended = true;
    this.deliver(chunk);
    return true;
  }
}

/**
 * Starts a turn and delivers its answer to `handlers` until its `done` or `error` chunk.
 * Rejects with an ApiError when the gateway refuses the request (no turn exists then), and with
 * the abort reason when `signal` is aborted (the turn itself goes on on the server).
 */
export async function runTurn(request: ChatRequest, handlers: TurnHandlers, signal: AbortSignal): Promise<void> {
  const order = new ChunkOrder((chunk) => handlers.chunk(chunk));
  handlers.state('connecting');
  const open = (local: AbortSignal) =>
    fetch('/api/chat', {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify(request),
      cache: 'no-store',
      signal: local,
    });
  const turnId = await streamTurn(open, undefined, handlers, order, signal);
  if (!order.ended) await catchUp(turnId, order, handlers, signal);
}

/**
 * Follows a turn started earlier (by this tab before a reload, say) from its first chunk, over
 * `GET /api/turns/:id/stream`, then by polling, until its `done` or `error` chunk. Rejects with a
 * 404 ApiError when the gateway no longer knows the turn, and with the abort reason on `signal`.
 */
export async function resumeTurn(turnId: string, handlers: TurnHandlers, signal: AbortSignal): Promise<void> {
  const order = new ChunkOrder((chunk) => handlers.chunk(chunk));
  handlers.state('connecting');
  const open = (local: AbortSignal) =>
    fetch(`/api/turns/${encodeURIComponent(turnId)}/stream?after=0`, { headers: { accept: 'text/event-stream' }, cache: 'no-store', signal: local });
  try {
    await streamTurn(open, turnId, handlers, order, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (isGone(error)) throw error;
    // Any other failure of the stream: polling catches up, backing off while the gateway is away.
  }
  if (!order.ended) await catchUp(turnId, order, handlers, signal);
}

/**
 * Follows an SSE answer; returns the turn id once the stream ends, cleanly or not. `known` is the
 * turn id when the stream follows an existing turn (no `turn` event comes then).
 */
async function streamTurn(
  open: (signal: AbortSignal) => Promise<Response>,
  known: string | undefined,
  handlers: TurnHandlers,
  order: ChunkOrder,
  signal: AbortSignal,
): Promise<string> {
  const local = new AbortController();
  const abort = () => local.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  let watchdog = setTimeout(() => local.abort(new DOMException('no answer', 'TimeoutError')), CONNECT_TIMEOUT_MS);
  const feed = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => local.abort(new DOMException('stream idle', 'TimeoutError')), IDLE_TIMEOUT_MS);
  };
  let turnId = known;
  try {
    let response: Response;
    try {
      response = await open(local.signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw new ApiError(timedOut ? { kind: 'timeout' } : { kind: 'network' });
    }
    if (!response.ok) throw await failureOf(response);
    feed();

    // A gateway may answer with the JSON `TurnStarted` only; polling then delivers everything.
    if (!(response.headers.get('content-type') ?? '').includes('text/event-stream') || !response.body) {
      if (turnId !== undefined) return turnId;
      const started = parsers.started.parse(await response.json().catch(() => undefined));
      if (!started.ok) throw new ApiError({ kind: 'invalid', detail: started.error });
      handlers.started(started.value);
      return started.value.turnId;
    }
    if (turnId !== undefined) handlers.state('streaming');

    try {
      for await (const event of readSse(response.body)) {
        feed();
        if (event.event === 'turn') {
          const started = parsers.started.parse(safeJson(event.data));
          if (!started.ok) throw new ApiError({ kind: 'invalid', detail: started.error });
          turnId = started.value.turnId;
          handlers.started(started.value);
          handlers.state('streaming');
        } else if (event.event === 'chunk') {
          const chunk = parsers.chunk.parse(safeJson(event.data));
          // A malformed or out-of-order chunk: let polling fetch the turn from the last good one.
          if (!chunk.ok || !order.offer(chunk.value) || order.ended) break;
        } else if (event.event === 'error' && turnId === undefined) {
          const body = parsers.error.parse(safeJson(event.data));
          if (body.ok) throw new ApiError({ kind: 'http', status: response.status, ...body.value.error });
        }
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (turnId === undefined) throw error instanceof ApiError ? error : new ApiError({ kind: 'network' });
      // The stream broke mid-answer; the caller catches up by polling.
    }
    if (turnId === undefined) throw new ApiError({ kind: 'network' });
    return turnId;
  } finally {
    clearTimeout(watchdog);
    signal.removeEventListener('abort', abort);
  }
}

/** Polls the turn from the last applied chunk until it has ended, backing off while the gateway is away. */
async function catchUp(turnId: string, order: ChunkOrder, handlers: TurnHandlers, signal: AbortSignal): Promise<void> {
  handlers.state('reconnecting');
  let delay = POLL_MS;
  for (;;) {
    try {
      const page = await getTurnChunks(turnId, order.last, signal);
      let applied = 0;
      for (const chunk of page.chunks) {
        if (!order.offer(chunk)) break;
        applied++;
      }
      if (order.ended) return;
      // Ended on the server but nothing more to give: the turn's end was lost; stop waiting.
      if (page.finished && applied === 0) return;
      handlers.state('streaming');
      delay = POLL_MS;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      // The turn is gone (expired or unknown): waiting will not bring it back.
      if (isGone(error)) throw error;
      handlers.state('reconnecting');
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
    await sleep(delay, signal);
  }
}

/** The gateway does not know the turn (never started, or its chunks expired). */
export function isGone(error: unknown): boolean {
  return error instanceof ApiError && error.failure.kind === 'http' && error.failure.status === 404;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
