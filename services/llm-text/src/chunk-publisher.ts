import { setTimeout as sleep } from 'node:timers/promises';
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
/**
 * A chunk whose publish failed (NATS went away, JetStream was not back yet, the ack was lost) is
 * sent again, the wait between tries doubling from the first to the longest, for at most the
 * window; then the turn gives up on it. The window stays well inside the stream's duplicate
 * window (two minutes), so a chunk that was stored after all is dropped as a repeat.
 */
const RESEND_FIRST_WAIT_MS = 100;
const RESEND_MAX_WAIT_MS = 2_000;
const RESEND_WINDOW_MS = 60_000;

type ChunkBody = TurnChunk extends infer C ? (C extends TurnChunk ? Omit<C, 'seq'> : never) : never;

/**
 * Numbers a turn's chunks 1, 2, 3… and publishes them to JetStream. Publishes are pipelined (each
 * is sent at once, acks are collected later), so a slow ack never holds back the next token;
 * `Nats-Msg-Id` `${turnId}:${seq}` lets JetStream drop a repeat. The first delta goes out at once;
 * later tokens are coalesced for a few milliseconds, since one JetStream message per token would
 * cost more than the tokens themselves.
 *
 * A chunk that fails to be stored is sent again until it is, and the final chunk waits for that,
 * so a turn that outlives a NATS outage still ends whole. A chunk sent again is stored after later
 * ones; readers order chunks by `seq`, but take the stream's last chunk of a turn as its state, so
 * when one lands behind the final chunk, the final chunk is stored once more after it.
 */
export class ChunkPublisher {
  readonly #js: AckedPublish;
  readonly #turnId: string;
  readonly #subject: string;
  #seq = 0;
  #buffer = '';
  #timer: NodeJS.Timeout | undefined;
  #sentDelta = false;
  /** Publishes awaiting their ack, with the connection epoch each was sent in. */
  readonly #inFlight = new Map<Promise<PubAck | undefined>, number>();
  /** Chunks whose publish failed, by seq, waiting to be sent again. */
  readonly #unstored = new Map<number, string>();
  #resending: Promise<void> | undefined;
  /** When resending gives up: the window from the first failure, or sooner at shutdown. */
  #resendUntil = Number.POSITIVE_INFINITY;
  #hurriedUntil = Number.POSITIVE_INFINITY;
  /** The first failure since everything was last stored. */
  #failure: unknown;
  /** A failure that sending again did not mend: the turn has a hole. */
  #gaveUp: unknown;
  #abandoned = false;
  #final: { seq: number; payload: string } | undefined;
  #storedBehindFinal = false;
  /** All text handed to `delta`, published or not: the answer as far as it got. */
  text = '';
  /** Chunks stored by a second or later try. */
  resent = 0;

  constructor(js: AckedPublish, turnId: string) {
    this.#js = js;
    this.#turnId = turnId;
    this.#subject = Subjects.turn(turnId);
  }

  /** A publish failure not (yet) mended by sending again (NATS gone, say); the turn still runs to its end. */
  get failure(): unknown {
    return this.#gaveUp ?? (this.#unstored.size > 0 ? this.#failure : undefined);
  }

  /** Sends the chunk at once; the promise settles when this publish is stored or has failed (see `failure`). */
  publish(body: ChunkBody): Promise<PubAck | undefined> {
    const seq = ++this.#seq;
    return this.#send(seq, JSON.stringify({ ...body, seq }));
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

  /**
   * While too many publishes are unacknowledged, a promise to wait on, so a stalled NATS cannot
   * grow memory without bound; otherwise undefined, so the stream loop awaits nothing per token.
   */
  backpressure(): Promise<void> | undefined {
    if (this.#inFlight.size < MAX_IN_FLIGHT) return undefined;
    return (async () => {
      while (this.#inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.#inFlight.keys());
    })();
  }

  /**
   * Sends what is buffered and the final chunk, then waits for every ack and resend. While the
   * connection holds, the final chunk does not wait for the others' acks: publishes on one
   * connection are stored in the order sent, and waiting would add a JetStream round trip to
   * every answer. When chunks failed, or were sent before the connection last dropped, it waits
   * for each to be stored or sent again, so that readers never see the final chunk in front of a
   * chunk still on its way; if sending again fails, a `done` would present a cut answer as whole,
   * so the turn ends with `chunks_lost` instead.
   */
  async end(final: Extract<ChunkBody, { type: 'done' | 'error' }>): Promise<void> {
    this.flush();
    if (this.#unsure()) await this.#mended();
    const seq = ++this.#seq;
    const payload = JSON.stringify({ ...(this.#gaveUp !== undefined && final.type === 'done' ? chunksLost() : final), seq });
    this.#final = { seq, payload };
    void this.#send(seq, payload);
    await this.#mended();
    if (!this.#storedBehindFinal || this.#abandoned) return;
    try {
      // Its own message id: the first copy's would be dropped as a repeat.
      await this.#js.publish(this.#subject, payload, `${this.#msgId(seq)}:again`);
    } catch (error) {
      this.#gaveUp ??= error;
    }
  }

  /** Stops sending again and publishing: the turn was refused at its start. */
  abandon(): void {
    this.#abandoned = true;
    this.#unstored.clear();
  }

  /** Gives resends at most `ms` more (at shutdown, so that no turn holds the process for a minute). */
  hurry(ms: number): void {
    this.#hurriedUntil = Math.min(this.#hurriedUntil, Date.now() + ms);
  }

  /** Whether some chunk may not be stored although a later one will be. */
  #unsure(): boolean {
    if (this.#unstored.size > 0 || this.#resending !== undefined || !this.#js.connected) return true;
    for (const epoch of this.#inFlight.values()) if (epoch !== this.#js.epoch) return true;
    return false;
  }

  #msgId(seq: number): string {
    return `${this.#turnId}:${seq}`;
  }

  #send(seq: number, payload: string): Promise<PubAck | undefined> {
    if (this.#abandoned) return Promise.resolve(undefined);
    const pending: Promise<PubAck | undefined> = this.#js
      .publish(this.#subject, payload, this.#msgId(seq))
      .catch((error: unknown) => {
        this.#failure ??= error;
        if (!this.#abandoned) this.#unstored.set(seq, payload);
        this.#resend();
        return undefined;
      })
      .finally(() => this.#inFlight.delete(pending));
    this.#inFlight.set(pending, this.#js.connected ? this.#js.epoch : -1);
    return pending;
  }

  #resend(): void {
    if (this.#resending !== undefined || this.#unstored.size === 0 || this.#abandoned) return;
    this.#resending = this.#resendUnstored().finally(() => {
      this.#resending = undefined;
      // A publish that failed while the loop was returning found it still running.
      this.#resend();
    });
  }

  /** Sends the unstored chunks again, oldest first, until each is stored or the window has passed. */
  async #resendUnstored(): Promise<void> {
    this.#resendUntil = Math.min(this.#resendUntil, Date.now() + RESEND_WINDOW_MS);
    let waitMs = RESEND_FIRST_WAIT_MS;
    while (this.#unstored.size > 0 && !this.#abandoned) {
      const until = Math.min(this.#resendUntil, this.#hurriedUntil);
      if (Date.now() >= until) {
        this.#gaveUp ??= this.#failure;
        this.#unstored.clear();
        return;
      }
      await sleep(Math.min(waitMs, until - Date.now()));
      for (const seq of [...this.#unstored.keys()].sort((a, b) => a - b)) {
        const payload = this.#unstored.get(seq);
        if (payload === undefined) continue;
        try {
          await this.#js.publish(this.#subject, payload, this.#msgId(seq));
        } catch {
          waitMs = Math.min(waitMs * 2, RESEND_MAX_WAIT_MS);
          break;
        }
        this.#unstored.delete(seq);
        this.resent++;
        waitMs = RESEND_FIRST_WAIT_MS;
        const final = this.#final;
        if (final !== undefined && seq < final.seq && !this.#unstored.has(final.seq)) this.#storedBehindFinal = true;
      }
    }
    if (this.#unstored.size === 0 && this.#gaveUp === undefined) {
      this.#failure = undefined;
      this.#resendUntil = Number.POSITIVE_INFINITY;
    }
  }

  /** Resolves once every publish so far is acknowledged and every failed one sent again or given up. */
  async #mended(): Promise<void> {
    for (;;) {
      await Promise.all(this.#inFlight.keys());
      if (this.#abandoned) return;
      if (this.#resending === undefined) {
        if (this.#unstored.size === 0) return;
        this.#resend();
      }
      await this.#resending;
    }
  }
}

function chunksLost(): Extract<ChunkBody, { type: 'error' }> {
  const { code, message } = errors.chunks_lost();
  return { type: 'error', code, message, retryable: true };
}
