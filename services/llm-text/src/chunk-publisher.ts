import { Subjects, type TurnChunk } from '@voxgate/protocol';
import type { PubAck } from 'nats';
import type { AckedPublish } from './acked-publish.js';
import { errors } from './errors.js';

/** Tokens arriving within this window after the previous delta go out as one chunk. */
const COALESCE_WINDOW_MS = 4;
/** A delta is sent at once when it grows this long, far below the stream's 256 KiB message cap. */
const MAX_DELTA_CHARS = 16_384;
/** Publishes awaiting their ack before the stream loop waits for some to land. */
const MAX_IN_FLIGHT = 256;

type ChunkBody = TurnChunk extends infer C ? (C extends TurnChunk ? Omit<C, 'seq'> : never) : never;

/**
 * Numbers a turn's chunks 1, 2, 3… and publishes them to JetStream in order. Publishes are
 * pipelined (each is sent at once, acks are collected later), so a slow ack never holds back the
 * next token; `Nats-Msg-Id` `${turnId}:${seq}` lets JetStream drop a duplicate if one is resent.
 * The first delta goes out at once; later tokens are coalesced for a few milliseconds, since one
 * JetStream message per token would cost more than the tokens themselves.
 */
export class ChunkPublisher {
  readonly #js: AckedPublish;
  readonly #turnId: string;
  readonly #subject: string;
  #seq = 0;
  #buffer = '';
  #timer: NodeJS.Timeout | undefined;
  #sentDelta = false;
  #inFlight = new Set<Promise<PubAck | undefined>>();
  #failure: unknown;
  /** All text handed to `delta`, published or not: the answer as far as it got. */
  text = '';

  constructor(js: AckedPublish, turnId: string) {
    this.#js = js;
    this.#turnId = turnId;
    this.#subject = Subjects.turn(turnId);
  }

  /** The first publish failure (NATS gone, say), if any; the turn still runs to its end. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Sends the chunk at once; the promise settles when it is stored or has failed (see `failure`). */
  publish(body: ChunkBody): Promise<PubAck | undefined> {
    const seq = ++this.#seq;
    const chunk = { ...body, seq } as TurnChunk;
    const pending: Promise<PubAck | undefined> = this.#js
      .publish(this.#subject, JSON.stringify(chunk), `${this.#turnId}:${seq}`)
      .catch((error: unknown) => {
        this.#failure ??= error;
        return undefined;
      })
      .finally(() => this.#inFlight.delete(pending));
    this.#inFlight.add(pending);
    return pending;
  }

  delta(text: string): void {
    this.text += text;
    this.#buffer += text;
    if (!this.#sentDelta || this.#buffer.length >= MAX_DELTA_CHARS) {
      this.flush();
      return;
    }
    this.#timer ??= setTimeout(() => this.flush(), COALESCE_WINDOW_MS);
  }

  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer === '') return;
    this.#sentDelta = true;
    const text = this.#buffer;
    this.#buffer = '';
    this.publish({ type: 'delta', text });
  }

  /** Waits for every publish so far to be acknowledged (or to fail: see `failure`). */
  async settled(): Promise<void> {
    await Promise.all(this.#inFlight);
  }

  /**
   * While too many publishes are unacknowledged, a promise to wait on, so a stalled NATS cannot
   * grow memory without bound; otherwise undefined, so the stream loop awaits nothing per token.
   */
  backpressure(): Promise<void> | undefined {
    if (this.#inFlight.size < MAX_IN_FLIGHT) return undefined;
    return (async () => {
      while (this.#inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.#inFlight);
    })();
  }

  /**
   * Sends what is buffered and the final chunk, then waits for every ack. The final chunk does not
   * wait for the others' acks first: publishes on one connection are stored in the order sent, and
   * waiting would add a JetStream round trip to the end of every answer.
   */
  async end(final: Extract<ChunkBody, { type: 'done' | 'error' }>): Promise<void> {
    this.flush();
    // A chunk that never reached the stream (NATS was down) leaves a hole readers cannot fill: a
    // `done` after it would present a cut answer as whole, so the turn ends with an error instead.
    this.publish(this.#failure !== undefined && final.type === 'done' ? chunksLost() : final);
    await this.settled();
  }
}

function chunksLost(): Extract<ChunkBody, { type: 'error' }> {
  const { code, message } = errors.chunks_lost();
  return { type: 'error', code, message, retryable: true };
}
