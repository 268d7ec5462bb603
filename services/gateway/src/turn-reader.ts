import { JSONCodec, type JetStreamClient, type JetStreamManager, type Msg, type MsgRequest, type NatsConnection, type NatsError } from 'nats';
import type { FastifyBaseLogger } from 'fastify';
import { createParser, JetStreamNames, Subjects, TurnChunk, type TurnChunks } from '@voxgate/protocol';
import type { TurnCallback, TurnFeed, TurnListener } from './turn-feed.js';

const json = JSONCodec();
const chunkParser = createParser(TurnChunk);

/** At most this many chunks in one poll answer; the client asks again from the last one. */
export const POLL_MAX_CHUNKS = 1_000;

/** A consumer left behind by a crashed gateway disappears after this long without a reader. */
const CONSUMER_INACTIVE_MS = 30_000;

/**
 * A catch-up that needs more direct gets than this reads through an ordered consumer instead: a
 * get is one cheap round trip, a consumer costs a JetStream API call and a pull, so gets win only
 * for a few chunks (a follower joining a turn that has just started, or filling a small gap).
 */
const MAX_WALK_GETS = 24;

/**
 * A followed turn quiet for this long is looked up in the stream once, in case its live chunk was
 * missed (published just before the subscription reached the server but stored after the
 * catch-up looked, or lost in a reconnect); the wait doubles up to the maximum while it stays quiet.
 */
const RECHECK_FIRST_MS = 250;
const RECHECK_MAX_MS = 5_000;

/**
 * A live chunk ahead of the next expected one means one was missed: its live copy was lost, or
 * it is not stored yet (llm-text sends a chunk again when NATS failed to store it, and its final
 * chunk waits for that). The stream is asked again, the wait doubling from the first to the
 * longest, until the gap is filled; once the turn's final chunk is known, for this long at most,
 * and the missing chunk is then given up as never stored. Chunks held behind a gap are bounded.
 */
const GAP_RETRY_FIRST_MS = 20;
const GAP_RETRY_MAX_MS = 1_000;
const GAP_WAIT_AFTER_FINAL_MS = 500;
const MAX_HELD_CHUNKS = 1_024;

/** A follower whose reads from the stream keep failing (NATS away) gives up after this long. */
const READ_FAILURES_MAX_MS = 30_000;

export const isTerminal = (chunk: TurnChunk): boolean => chunk.type === 'done' || chunk.type === 'error';

/** How a `follow` ended. */
export type FollowEnd = 'finished' | 'aborted' | 'idle';

export interface FollowOptions {
  signal: AbortSignal;
  idleMs: number;
  onChunk: (chunk: TurnChunk) => void;
}

/** A turn subscribed to before its start: `follow` it once started, or `close` it if the start failed. */
export interface TurnWatch {
  /** As `TurnReader.follow` from the first chunk, with what arrived since the subscription. */
  follow(options: FollowOptions): Promise<FollowEnd>;
  close(): void;
}

/** A `STREAM.MSG.GET` query, `next_by_subj` included (nats.js exports that type only for direct gets). */
type GetQuery = MsgRequest | { seq: number; next_by_subj: string };

/** A chunk as stored in the turns stream, with its stream sequence (not the chunk's own `seq`). */
interface StoredChunk {
  streamSeq: number;
  chunk: TurnChunk;
}

/**
 * Reads turns from JetStream, where llm-text publishes every chunk under `Subjects.turn(turnId)`.
 * The gateway keeps no state of its own, so any replica can serve any turn, and a reader that
 * starts late (or resumes after chunk N) still gets every chunk, each once and in order.
 */
export class TurnReader {
  private readonly js: JetStreamClient;
  private jsm: Promise<JetStreamManager> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly feed: TurnFeed,
    private readonly log: FastifyBaseLogger,
  ) {
    this.js = nc.jetstream();
  }

  private manager(): Promise<JetStreamManager> {
    this.jsm ??= this.nc.jetstreamManager().catch((error: unknown) => {
      this.jsm = undefined;
      throw error;
    });
    return this.jsm;
  }

  /** The turn's latest chunk (one lookup by subject), or undefined when the turn is unknown or expired. */
  async last(turnId: string): Promise<TurnChunk | undefined> {
    return (await this.latest(turnId))?.chunk;
  }

  /**
   * The chunks after `afterSeq` (at most `limit`) and whether the turn has ended with nothing
   * left to send; undefined for an unknown turn. A poll with nothing new costs one lookup.
   */
  async read(turnId: string, afterSeq: number, limit = POLL_MAX_CHUNKS): Promise<TurnChunks | undefined> {
    const last = await this.latest(turnId);
    if (!last) return undefined;
    if (last.chunk.seq <= afterSeq) return { turnId, chunks: [], finished: isTerminal(last.chunk) };
    const chunks = await this.storedAfter(turnId, afterSeq, last, limit);
    const final = chunks.at(-1);
    return { turnId, chunks, finished: final !== undefined && isTerminal(final) };
  }

  /**
   * Calls `onChunk` for every chunk after `afterSeq`, each once and in order, live, until the turn
   * ends, `signal` aborts, or nothing arrives for `idleMs` (the owner died without ending the turn).
   * Live chunks come from the feed's plain NATS subscription (JetStream delivers a stream's
   * messages to core subscribers too), listened to before the stored chunks are read, so none
   * falls between the two.
   */
  follow(turnId: string, afterSeq: number, options: FollowOptions): Promise<FollowEnd> {
    if (options.signal.aborted) return Promise.resolve('aborted');
    const follow = new Follow(this, turnId);
    try {
      follow.listen();
    } catch (error) {
      return Promise.reject(error);
    }
    return follow.run(afterSeq, options, true);
  }

  /**
   * Listens to a turn that is about to be started, before the start request goes out: the feed's
   * subscription is at the server already, so every chunk arrives live. Delivery then needs no catch-up from the
   * stream (which costs JetStream API calls and a round trip before the first token); the
   * stream is still read if a gap shows or the turn goes quiet, as in `follow`.
   */
  watch(turnId: string): TurnWatch {
    const follow = new Follow(this, turnId);
    follow.listen();
    return { follow: (options) => follow.run(0, options, false), close: () => follow.close() };
  }

  /** @internal The turn's live chunks (for `Follow`). */
  subscribe(turnId: string, callback: TurnCallback): TurnListener {
    return this.feed.listen(turnId, callback);
  }

  /** @internal The turn's latest stored chunk with its stream sequence; undefined when none is stored. */
  async latest(turnId: string): Promise<StoredChunk | undefined> {
    return this.get(turnId, { last_by_subj: Subjects.turn(turnId) });
  }

  /**
   * @internal The stored chunks after `afterSeq` up to `last` (at most `limit`), in `seq` order: the
   * last one as it is, a few by direct gets, many through an ordered consumer. A chunk sent again
   * is stored behind later ones, so what is read is put in order, and only the unbroken run after
   * `afterSeq` is returned while the turn goes on: a gap is a chunk still on its way. Once the turn
   * has ended, a gap is for good, and everything stored is returned.
   */
  async storedAfter(turnId: string, afterSeq: number, last: StoredChunk, limit: number): Promise<TurnChunk[]> {
    const missing = last.chunk.seq - afterSeq;
    if (missing <= 0) return [];
    if (missing === 1) return [last.chunk];
    let found: Map<number, TurnChunk> | undefined;
    if (missing <= limit && missing <= MAX_WALK_GETS) found = await this.walk(turnId, afterSeq, last);
    if (found === undefined || !hasEvery(found, afterSeq + 1, last.chunk.seq)) found = await this.consume(turnId, afterSeq, last.streamSeq, limit);
    return inSeqOrder(found, afterSeq, limit);
  }

  /** @internal */
  decode(data: Uint8Array, turnId: string): TurnChunk | undefined {
    let value: unknown;
    try {
      value = json.decode(data);
    } catch {
      this.log.error({ turnId }, 'turn chunk is not JSON; skipped');
      return undefined;
    }
    const parsed = chunkParser.parse(value);
    if (!parsed.ok) {
      this.log.error({ turnId, reason: parsed.error }, 'turn chunk off-schema; skipped');
      return undefined;
    }
    return parsed.value;
  }

  /** @internal */
  warn(details: Record<string, unknown>, message: string): void {
    this.log.warn(details, message);
  }

  /** One stored message by a `STREAM.MSG.GET` query; undefined when there is none (or it is not a chunk). */
  private async get(turnId: string, query: GetQuery): Promise<StoredChunk | undefined> {
    const jsm = await this.manager();
    try {
      // NATS 2.9+ takes `next_by_subj` on STREAM.MSG.GET too (nats.js types it for direct gets
      // only, which need `allow_direct` on the stream); the client passes the query through.
      const stored = await jsm.streams.getMessage(JetStreamNames.turnsStream, query as MsgRequest);
      const chunk = this.decode(stored.data, turnId);
      return chunk === undefined ? undefined : { streamSeq: stored.seq, chunk };
    } catch (error) {
      if ((error as { code?: string }).code === '404') return undefined;
      throw error;
    }
  }

  /**
   * Reads the chunks after `afterSeq` up to `last` by `next_by_subj` gets, or gives up (undefined)
   * when that would take more than `MAX_WALK_GETS`. Chunk `afterSeq + 1` is stored at least
   * `missing - 1` stream positions before `last` (exactly that many when no other turn published
   * in between), so the walk starts there and steps back, doubling the distance, until it starts
   * at or before that chunk.
   */
  private async walk(turnId: string, afterSeq: number, last: StoredChunk): Promise<Map<number, TurnChunk> | undefined> {
    const subject = Subjects.turn(turnId);
    let gets = 0;
    const next = (fromStreamSeq: number) => {
      gets++;
      return this.get(turnId, { next_by_subj: subject, seq: fromStreamSeq });
    };
    let distance = last.chunk.seq - afterSeq - 1;
    let at: StoredChunk | undefined;
    for (;;) {
      const from = Math.max(1, last.streamSeq - distance);
      at = await next(from);
      if (at === undefined) return undefined;
      if (at.chunk.seq <= afterSeq + 1 || from === 1) break;
      if (gets >= MAX_WALK_GETS) return undefined;
      distance *= 2;
    }
    const found = new Map<number, TurnChunk>();
    for (;;) {
      if (at.chunk.seq > afterSeq) found.set(at.chunk.seq, at.chunk);
      if (at.streamSeq >= last.streamSeq) return found;
      if (gets >= MAX_WALK_GETS) return undefined;
      const following: StoredChunk | undefined = await next(at.streamSeq + 1);
      if (following === undefined) return found;
      at = following;
    }
  }

  /**
   * Reads the turn's chunks through an ordered consumer, keeping those after `afterSeq`, until
   * stream position `untilStreamSeq` or until `limit` of them follow `afterSeq` without a gap.
   */
  private async consume(turnId: string, afterSeq: number, untilStreamSeq: number, limit: number): Promise<Map<number, TurnChunk>> {
    const found = new Map<number, TurnChunk>();
    const consumer = await this.js.consumers.get(JetStreamNames.turnsStream, {
      filterSubjects: Subjects.turn(turnId),
      inactive_threshold: CONSUMER_INACTIVE_MS,
    });
    const messages = await consumer.consume({ max_messages: Math.min(limit, 500), expires: 5_000 });
    // The stream can only grow, and `untilStreamSeq` is stored already, so the read ends there at the latest.
    const guard = setTimeout(() => messages.stop(), 5_000);
    try {
      let unbrokenTo = afterSeq;
      for await (const m of messages) {
        const chunk = this.decode(m.data, turnId);
        if (chunk && chunk.seq > afterSeq) found.set(chunk.seq, chunk);
        while (found.has(unbrokenTo + 1)) unbrokenTo++;
        if (m.seq >= untilStreamSeq || unbrokenTo - afterSeq >= limit || m.info.pending === 0) break;
      }
    } finally {
      clearTimeout(guard);
      messages.stop();
      void consumer.delete().catch(() => {});
    }
    return found;
  }
}

/** Whether `found` holds every seq from `from` to `to`. */
function hasEvery(found: Map<number, TurnChunk>, from: number, to: number): boolean {
  for (let seq = from; seq <= to; seq++) if (!found.has(seq)) return false;
  return true;
}

/**
 * The chunks after `afterSeq` in `seq` order, at most `limit`: the unbroken run only, unless the
 * turn's final chunk is among them (then every one, the gaps left as they are).
 */
function inSeqOrder(found: Map<number, TurnChunk>, afterSeq: number, limit: number): TurnChunk[] {
  const ordered = [...found.values()].filter((c) => c.seq > afterSeq).sort((a, b) => a.seq - b.seq);
  const ended = ordered.some(isTerminal);
  const chunks: TurnChunk[] = [];
  let expected = afterSeq + 1;
  for (const chunk of ordered) {
    if (chunks.length >= limit || (chunk.seq !== expected && !ended)) break;
    chunks.push(chunk);
    expected = chunk.seq + 1;
  }
  return chunks;
}

/**
 * One `follow`: live chunks from the subscription are handed on as soon as they are next in
 * order, and buffered by `seq` when ahead; whatever the subscription did not bring (chunks stored
 * before it began, a gap, a missed last chunk) is read from the stream, and anything at or below
 * the last handed-on `seq` dropped. Listening may begin before delivery (see `TurnReader.watch`).
 */
class Follow {
  #delivered = 0;
  /** Live chunks not yet handed on: above the next expected one, or all of them before `run`. */
  readonly #ahead = new Map<number, TurnChunk>();
  #filling = false;
  #ended = false;
  /** Reads of a gap so far, for the wait before the next; reset when the gap closes. */
  #gapRetries = 0;
  #gapTimer: NodeJS.Timeout | undefined;
  /** When the turn's final chunk was first seen, live or stored: from then on a gap is not waited for long. */
  #finalSeenAt: number | undefined;
  /** Since when reads from the stream have failed in a row. */
  #readFailingSince: number | undefined;
  #subscription: TurnListener | undefined;
  #idle: NodeJS.Timeout | undefined;
  #recheck: NodeJS.Timeout | undefined;
  #recheckMs = RECHECK_FIRST_MS;
  #options: FollowOptions | undefined;
  #settle: { resolve: (end: FollowEnd) => void; reject: (error: unknown) => void } | undefined;
  /** A subscription error before `run`, reported when it starts. */
  #early: unknown;
  readonly #onAbort = () => this.#finish('aborted');

  constructor(
    private readonly reader: TurnReader,
    private readonly turnId: string,
  ) {}

  listen(): void {
    this.#subscription = this.reader.subscribe(this.turnId, (error, msg) => this.#onLive(error, msg));
  }

  /** Delivers after `afterSeq`; `catchUp` reads what the stream holds at once (the turn may be under way). */
  run(afterSeq: number, options: FollowOptions, catchUp: boolean): Promise<FollowEnd> {
    return new Promise<FollowEnd>((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#options = options;
      this.#delivered = afterSeq;
      for (const seq of this.#ahead.keys()) if (seq <= afterSeq) this.#ahead.delete(seq);
      if (this.#ended) return resolve('aborted');
      if (this.#early !== undefined) return this.#fail(this.#early);
      if (options.signal.aborted) return this.#finish('aborted');
      options.signal.addEventListener('abort', this.#onAbort, { once: true });
      this.#idle = setTimeout(() => this.#finish('idle'), options.idleMs);
      this.#armRecheck();
      // With `catchUp`, sent after the SUB on the same connection, so the server has the
      // subscription by the time it looks: every chunk is either in what the catch-up reads or
      // delivered live (or both).
      if (catchUp) void this.#fill();
      else this.#drain();
    });
  }

  /** Ends a watch that will never be run. */
  close(): void {
    this.#cleanUp();
  }

  #onLive(error: NatsError | null, msg: Msg): void {
    if (this.#ended) return;
    if (error) {
      if (this.#settle === undefined) this.#early = error;
      else this.#fail(error);
      return;
    }
    const chunk = this.reader.decode(msg.data, this.turnId);
    if (chunk === undefined || chunk.seq <= this.#delivered) return;
    this.#ahead.set(chunk.seq, chunk);
    if (isTerminal(chunk)) this.#finalSeenAt ??= Date.now();
    if (this.#settle === undefined) return;
    this.#heard();
    // In order, it goes out even while a catch-up is reading: the catch-up skips what was handed on.
    this.#drain();
  }

  /** Hands on held chunks while they are next in order; a gap left behind is read from the stream. */
  #drain(): void {
    this.#handOn();
    if (this.#ended || this.#ahead.size === 0) return;
    if (!this.#filling && this.#gapTimer === undefined) void this.#fill();
  }

  #handOn(): void {
    for (let next = this.#ahead.get(this.#delivered + 1); next !== undefined; next = this.#ahead.get(this.#delivered + 1)) {
      this.#ahead.delete(next.seq);
      this.#deliver(next);
      if (this.#ended) return;
    }
    if (this.#ahead.size === 0) this.#gapRetries = 0;
  }

  /** Reads from the stream what is stored after the last handed-on chunk. */
  async #fill(): Promise<void> {
    if (this.#filling || this.#ended) return;
    this.#filling = true;
    try {
      const last = await this.reader.latest(this.turnId);
      if (last !== undefined && !this.#ended) {
        if (isTerminal(last.chunk)) this.#finalSeenAt ??= Date.now();
        const stored = await this.reader.storedAfter(this.turnId, this.#delivered, last, Number.POSITIVE_INFINITY);
        for (const chunk of stored) {
          if (this.#ended) return;
          if (chunk.seq > this.#delivered) this.#deliver(chunk);
        }
        // Resumed after the final chunk: nothing to send, and nothing more will come.
        if (isTerminal(last.chunk) && last.chunk.seq <= this.#delivered) {
          this.#finish('finished');
          return;
        }
      }
      this.#readFailingSince = undefined;
    } catch (error) {
      // NATS away (an outage, a reconnect): the turn goes on without it and is read again later,
      // as the gap and recheck clocks say; only a long failure ends the delivery.
      this.#readFailingSince ??= Date.now();
      if (Date.now() - this.#readFailingSince > READ_FAILURES_MAX_MS) {
        this.#fail(error);
        return;
      }
    } finally {
      this.#filling = false;
    }
    if (this.#ended) return;
    for (const seq of this.#ahead.keys()) if (seq <= this.#delivered) this.#ahead.delete(seq);
    this.#handOn();
    if (this.#ended || this.#ahead.size === 0) return;
    this.#waitForGap();
  }

  /** A gap is still open after a read: read again later, or give the missing chunks up as never stored. */
  #waitForGap(): void {
    const finalSeenAt = this.#finalSeenAt;
    const finalWaited = finalSeenAt !== undefined && Date.now() - finalSeenAt >= GAP_WAIT_AFTER_FINAL_MS;
    if (finalWaited || this.#ahead.size > MAX_HELD_CHUNKS) {
      const next = Math.min(...this.#ahead.keys());
      this.reader.warn({ turnId: this.turnId, expected: this.#delivered + 1, got: next, held: this.#ahead.size }, 'turn chunks have a gap');
      this.#delivered = next - 1;
      this.#handOn();
      return;
    }
    const waitMs = finalSeenAt === undefined ? Math.min(GAP_RETRY_FIRST_MS * 2 ** this.#gapRetries, GAP_RETRY_MAX_MS) : GAP_RETRY_FIRST_MS;
    this.#gapRetries++;
    clearTimeout(this.#gapTimer);
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = undefined;
      void this.#fill();
    }, waitMs);
  }

  #deliver(chunk: TurnChunk): void {
    if (chunk.seq !== this.#delivered + 1) this.reader.warn({ turnId: this.turnId, expected: this.#delivered + 1, got: chunk.seq }, 'turn chunks have a gap');
    this.#delivered = chunk.seq;
    this.#heard();
    try {
      this.#options?.onChunk(chunk);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (isTerminal(chunk)) this.#finish('finished');
  }

  /** Something arrived: the turn is alive, so the idle and recheck clocks start over. */
  #heard(): void {
    this.#idle?.refresh();
    if (this.#recheckMs === RECHECK_FIRST_MS) this.#recheck?.refresh();
    else {
      this.#recheckMs = RECHECK_FIRST_MS;
      this.#armRecheck();
    }
  }

  #armRecheck(): void {
    clearTimeout(this.#recheck);
    this.#recheck = setTimeout(() => {
      this.#recheckMs = Math.min(this.#recheckMs * 2, RECHECK_MAX_MS);
      this.#armRecheck();
      void this.#fill();
    }, this.#recheckMs);
  }

  #cleanUp(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    clearTimeout(this.#idle);
    clearTimeout(this.#recheck);
    clearTimeout(this.#gapTimer);
    this.#options?.signal.removeEventListener('abort', this.#onAbort);
    this.#subscription?.unsubscribe();
    return true;
  }

  #finish(end: FollowEnd): void {
    if (this.#cleanUp()) this.#settle?.resolve(end);
  }

  #fail(error: unknown): void {
    if (this.#cleanUp()) this.#settle?.reject(error);
  }
}
