import { JSONCodec, type JetStreamClient, type JetStreamManager, type JsMsg, type NatsConnection } from 'nats';
import type { FastifyBaseLogger } from 'fastify';
import { createParser, JetStreamNames, Subjects, TurnChunk, type TurnChunks } from '@voxgate/protocol';

const json = JSONCodec();
const chunkParser = createParser(TurnChunk);

/** At most this many chunks in one poll answer; the client asks again from the last one. */
export const POLL_MAX_CHUNKS = 1_000;

/** A consumer left behind by a crashed gateway disappears after this long without a reader. */
const CONSUMER_INACTIVE_MS = 30_000;

export const isTerminal = (chunk: TurnChunk): boolean => chunk.type === 'done' || chunk.type === 'error';

/** How a `follow` ended. */
export type FollowEnd = 'finished' | 'aborted' | 'idle';

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
    const jsm = await this.manager();
    try {
      const stored = await jsm.streams.getMessage(JetStreamNames.turnsStream, { last_by_subj: Subjects.turn(turnId) });
      return this.decode(stored.data, turnId);
    } catch (error) {
      if ((error as { code?: string }).code === '404') return undefined;
      throw error;
    }
  }

  /**
   * The chunks after `afterSeq` (at most `limit`) and whether the turn has ended with nothing
   * left to send; undefined for an unknown turn. A poll with nothing new costs one lookup.
   */
  async read(turnId: string, afterSeq: number, limit = POLL_MAX_CHUNKS): Promise<TurnChunks | undefined> {
    const last = await this.last(turnId);
    if (!last) return undefined;
    if (last.seq <= afterSeq) return { turnId, chunks: [], finished: isTerminal(last) };

    const chunks: TurnChunk[] = [];
    let finished = false;
    const consumer = await this.js.consumers.get(JetStreamNames.turnsStream, {
      filterSubjects: Subjects.turn(turnId),
      inactive_threshold: CONSUMER_INACTIVE_MS,
    });
    const messages = await consumer.consume({ max_messages: Math.min(limit, 500), expires: 5_000 });
    // The stream can only grow, and `last` is already stored, so the read ends at it at the latest.
    const guard = setTimeout(() => messages.stop(), 5_000);
    try {
      let seen = 0;
      for await (const m of messages) {
        const chunk = this.decode(m.data, turnId);
        if (chunk && chunk.seq > seen) {
          seen = chunk.seq;
          if (chunk.seq > afterSeq) chunks.push(chunk);
          if (isTerminal(chunk)) finished = true;
        }
        if (finished || chunks.length >= limit || m.info.pending === 0) break;
      }
    } finally {
      clearTimeout(guard);
      messages.stop();
      void consumer.delete().catch(() => {});
    }
    return { turnId, chunks, finished };
  }

  /**
   * Calls `onChunk` for every chunk after `afterSeq`, live, until the turn ends, `signal` aborts,
   * or nothing arrives for `idleMs` (the owner died without ending the turn).
   */
  async follow(
    turnId: string,
    afterSeq: number,
    options: { signal: AbortSignal; idleMs: number; onChunk: (chunk: TurnChunk) => void },
  ): Promise<FollowEnd> {
    if (options.signal.aborted) return 'aborted';
    const consumer = await this.js.consumers.get(JetStreamNames.turnsStream, {
      filterSubjects: Subjects.turn(turnId),
      inactive_threshold: CONSUMER_INACTIVE_MS,
    });
    const messages = await consumer.consume({ max_messages: 256 });
    let end: FollowEnd = 'aborted';
    let idle: NodeJS.Timeout | undefined;
    const stop = (why: FollowEnd) => {
      end = why;
      messages.stop();
    };
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => stop('idle'), options.idleMs);
    };
    const onAbort = () => stop('aborted');
    options.signal.addEventListener('abort', onAbort, { once: true });
    armIdle();
    try {
      // Chunks are numbered without gaps; anything at or below `seen` is a redelivery.
      let seen = 0;
      for await (const m of messages) {
        armIdle();
        const chunk = this.decodeMsg(m, turnId);
        if (!chunk || chunk.seq <= seen) continue;
        if (chunk.seq !== seen + 1) this.log.warn({ turnId, expected: seen + 1, got: chunk.seq }, 'turn chunks have a gap');
        seen = chunk.seq;
        if (chunk.seq > afterSeq) options.onChunk(chunk);
        if (isTerminal(chunk)) {
          end = 'finished';
          break;
        }
      }
    } finally {
      clearTimeout(idle);
      options.signal.removeEventListener('abort', onAbort);
      messages.stop();
      void consumer.delete().catch(() => {});
    }
    return end;
  }

  private decodeMsg(m: JsMsg, turnId: string): TurnChunk | undefined {
    return this.decode(m.data, turnId);
  }

  private decode(data: Uint8Array, turnId: string): TurnChunk | undefined {
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
}
