import type { FastifyBaseLogger } from 'fastify';
import { Empty, headers, JSONCodec, RequestStrategy, StorageType, type JetStreamManager, type KV, type NatsConnection } from 'nats';
import { createParser, JetStreamNames, ServiceName, Subjects, TurnChunk } from '@voxgate/protocol';
import { errors } from './errors.js';

/** KV bucket of the turns running anywhere: turn id → the llm-text instance answering it. */
const BUCKET = 'llm-text-turns';
/** How often each instance looks for turns whose owner has gone. */
export const SWEEP_INTERVAL_MS = 2_000;
/** How long one sweep waits for the instances to answer `$SRV.PING`. */
const PING_WAIT_MS = 1_000;

const json = JSONCodec();
const DELETE_MARKER = headers();
DELETE_MARKER.set('KV-Operation', 'DEL');
const chunkParser = createParser(TurnChunk);

interface Entry {
  owner: string;
}

/**
 * Turns whose llm-text instance died (a crash, a SIGKILL) would otherwise never end: no final
 * chunk, so readers wait and pollers poll for ever. Every running turn is listed here under its
 * owner's instance id; every instance sweeps the list, and a turn whose owner misses two sweeps'
 * `$SRV.PING` in a row is ended for its readers with a retryable `turn_lost` error chunk. The chunk
 * is published only if nothing was stored for the turn since it was looked at, so a slow owner
 * that was still alive cannot interleave with it.
 */
export class TurnLedger {
  readonly #kv: KV;
  readonly #jsm: JetStreamManager;
  readonly #nc: NatsConnection;
  readonly #owner: string;
  readonly #log: FastifyBaseLogger;
  /** Turns seen ownerless by the previous sweep. */
  #suspects = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #sweeping = false;

  private constructor(nc: NatsConnection, kv: KV, jsm: JetStreamManager, owner: string, log: FastifyBaseLogger) {
    this.#nc = nc;
    this.#kv = kv;
    this.#jsm = jsm;
    this.#owner = owner;
    this.#log = log;
  }

  static async open(nc: NatsConnection, owner: string, log: FastifyBaseLogger): Promise<TurnLedger> {
    // File storage: a NATS restart must not make the survivors forget a dead owner's turns.
    const kv = await nc.jetstream().views.kv(BUCKET, { history: 1, storage: StorageType.File, ttl: JetStreamNames.turnsMaxAgeMs });
    return new TurnLedger(nc, kv, await nc.jetstreamManager(), owner, log);
  }

  /**
   * Lists a turn as this instance's. A plain publish to the bucket's subject rather than an acked
   * `kv.put`: two JetStream round trips a turn (this and `remove`) cost llm-text more CPU than
   * the sweep gains from knowing each landed, and a turn's start never waits on it anyway. An
   * entry lost with NATS leaves that turn unguarded, as a failed put did.
   */
  add(turnId: string): void {
    this.#write(turnId, json.encode({ owner: this.#owner } satisfies Entry), false);
  }

  remove(turnId: string): void {
    this.#write(turnId, Empty, true);
  }

  /** A put or a delete marker, as `kv.put` and `kv.delete` write them (`KV-Operation: DEL`). */
  #write(turnId: string, data: Uint8Array, deleting: boolean): void {
    try {
      const options = deleting ? { headers: DELETE_MARKER } : undefined;
      this.#nc.publish(`$KV.${BUCKET}.${turnId}`, data, options);
    } catch (error) {
      this.#log.warn({ err: error, turnId }, deleting ? 'could not take the turn off the ledger' : 'could not list the turn in the ledger');
    }
  }

  start(): void {
    this.#timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  /** One pass over the ledger; a failure (NATS away) is logged and the next pass tries again. */
  async sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const live = await this.#liveInstances();
      const suspects = new Set<string>();
      for await (const turnId of await this.#kv.keys()) {
        const stored = await this.#kv.get(turnId);
        if (stored === null || stored.operation !== 'PUT') continue;
        const owner = (stored.json() as Partial<Entry>).owner;
        if (owner !== undefined && live.has(owner)) continue;
        if (!this.#suspects.has(turnId)) {
          suspects.add(turnId);
          continue;
        }
        await this.#endOrphan(turnId, owner);
      }
      this.#suspects = suspects;
    } catch (error) {
      // A sweep under way when the instance stops fails with its endpoints gone: nothing to report.
      if (!this.#stopped) this.#log.warn({ err: error }, 'turn ledger sweep failed');
    } finally {
      this.#sweeping = false;
    }
  }

  /** The highest seq stored for a turn up to stream position `untilStreamSeq`, and whether a final chunk is among them. */
  async #storedState(subject: string, untilStreamSeq: number): Promise<{ maxSeq: number; ended: boolean }> {
    const consumer = await this.#nc.jetstream().consumers.get(JetStreamNames.turnsStream, { filterSubjects: subject });
    const messages = await consumer.consume({ max_messages: 500, expires: 5_000 });
    const guard = setTimeout(() => messages.stop(), 5_000);
    let maxSeq = 0;
    let ended = false;
    try {
      for await (const m of messages) {
        const parsed = chunkParser.parse(json.decode(m.data));
        if (parsed.ok) {
          maxSeq = Math.max(maxSeq, parsed.value.seq);
          ended ||= parsed.value.type === 'done' || parsed.value.type === 'error';
        }
        if (m.seq >= untilStreamSeq || m.info.pending === 0) break;
      }
    } finally {
      clearTimeout(guard);
      messages.stop();
      void consumer.delete().catch(() => {});
    }
    return { maxSeq, ended };
  }

  async #liveInstances(): Promise<Set<string>> {
    const live = new Set([this.#owner]);
    const answers = await this.#nc.services.client({ strategy: RequestStrategy.Timer, maxWait: PING_WAIT_MS }).ping(ServiceName.llmText);
    for await (const answer of answers) live.add(answer.id);
    return live;
  }

  async #endOrphan(turnId: string, owner: string | undefined): Promise<void> {
    const subject = Subjects.turn(turnId);
    let last: { streamSeq: number; chunk: TurnChunk } | undefined;
    try {
      const stored = await this.#jsm.streams.getMessage(JetStreamNames.turnsStream, { last_by_subj: subject });
      const parsed = chunkParser.parse(json.decode(stored.data));
      if (parsed.ok) last = { streamSeq: stored.seq, chunk: parsed.value };
    } catch (error) {
      if ((error as { code?: string }).code !== '404') throw error;
    }
    if (last !== undefined && last.chunk.type !== 'done' && last.chunk.type !== 'error') {
      // A chunk sent again after a NATS failure is stored behind later ones: the last stored is
      // not always the highest, nor is the final chunk always last while the owner was resending.
      const stored = await this.#storedState(subject, last.streamSeq);
      if (stored.ended) {
        await this.#kv.delete(turnId);
        return;
      }
      const seq = stored.maxSeq + 1;
      const { code, message } = errors.turn_lost();
      try {
        await this.#nc.jetstream().publish(subject, json.encode({ seq, type: 'error', code, message, retryable: true } satisfies TurnChunk), {
          msgID: `${turnId}:${seq}`,
          expect: { lastSubjectSequence: last.streamSeq },
        });
        this.#log.warn({ turnId, owner, seq }, 'turn of a vanished llm-text instance ended as lost');
      } catch (error) {
        // Something was stored meanwhile: the owner is alive after all, or another instance got there first.
        this.#log.info({ turnId, owner, reason: String((error as Error).message) }, 'orphaned turn moved on; left alone');
        return;
      }
    }
    await this.#kv.delete(turnId);
  }
}
