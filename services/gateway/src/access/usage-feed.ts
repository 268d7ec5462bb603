import type { FastifyBaseLogger } from 'fastify';
import type { JetStreamManager, NatsConnection, Subscription } from 'nats';
import {
  createParser,
  JetStreamNames,
  parseJson,
  RealtimeSessionClosed,
  RealtimeSubjects,
  RealtimeUsageEvent,
  Subjects,
  TurnChunk,
} from '@voxgate/protocol';
import type { Quotas } from './quotas.js';

const chunkParser = createParser(TurnChunk);
const usageParser = createParser(RealtimeUsageEvent);
const closedParser = createParser(RealtimeSessionClosed);

/** A turn is followed for its usage at most this long (llm-text's whole-turn deadline is 5 min by default). */
const TURN_FOLLOW_MAX_MS = 15 * 60_000;
/** After a relay session's socket closed, how long the relay's `session.closed` (with its duration) is awaited. */
const CLOSED_EVENT_WAIT_MS = 5_000;
/** A `response.done` can trail the close; usage events are still credited to the client this long. */
const LATE_USAGE_MS = 60_000;

interface SessionOwner {
  client: string;
  minutesCounted: boolean;
}

/**
 * Feeds the daily counters from the usage the services report: a finished turn's `usage` (its
 * `done` chunk) and the relay's `voxgate.realtime.usage` and `session.closed` events. Each replica
 * counts only the turns and sessions it started itself (it alone knows their client), so every
 * usage is counted once however many gateway replicas run.
 */
export class UsageFeed {
  readonly #sessions = new Map<string, SessionOwner>();
  readonly #subscriptions: Subscription[] = [];
  readonly #turns = new Map<string, Subscription>();
  #jsm: JetStreamManager | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly quotas: Quotas,
    private readonly log: FastifyBaseLogger,
  ) {}

  async start(): Promise<void> {
    this.#jsm = await this.nc.jetstreamManager();
    this.#subscriptions.push(
      this.nc.subscribe(RealtimeSubjects.usage, {
        callback: (_error, msg) => {
          const event = parseJson(usageParser, msg.string());
          const owner = event.ok && event.value.requestId !== undefined ? this.#sessions.get(event.value.requestId) : undefined;
          if (event.ok && owner) this.#use(owner.client, 'tokens', event.value.totalTokens);
        },
      }),
      this.nc.subscribe(RealtimeSubjects.sessionClosed, {
        callback: (_error, msg) => {
          const event = parseJson(closedParser, msg.string());
          const owner = event.ok && event.value.requestId !== undefined ? this.#sessions.get(event.value.requestId) : undefined;
          if (!event.ok || !owner || owner.minutesCounted) return;
          owner.minutesCounted = true;
          this.#use(owner.client, 'realtime-ms', event.value.durationMs);
        },
      }),
    );
  }

  /**
   * A relay session this replica piped (`requestId` is the `x-request-id` the relay reports back).
   * The returned function is called when the client's socket closes, with the gateway's own
   * measure of the session, which counts only if the relay's event does not come.
   */
  session(requestId: string, client: string): (measuredMs: number) => void {
    const owner: SessionOwner = { client, minutesCounted: false };
    this.#sessions.set(requestId, owner);
    return (measuredMs) => {
      setTimeout(() => {
        if (!owner.minutesCounted) {
          owner.minutesCounted = true;
          this.#use(client, 'realtime-ms', measuredMs);
        }
      }, CLOSED_EVENT_WAIT_MS).unref();
      setTimeout(() => this.#sessions.delete(requestId), LATE_USAGE_MS).unref();
    };
  }

  /** A WebRTC call's minutes: the gateway is the only one that sees its start and end. */
  call(client: string, durationMs: number): void {
    this.#use(client, 'realtime-ms', durationMs);
  }

  /** A text turn this replica started: its `done` chunk's usage counts for `client`. */
  turn(turnId: string, client: string): void {
    if (this.#turns.has(turnId)) return;
    const subject = Subjects.turn(turnId);
    let finished = false;
    const finish = (chunk: TurnChunk) => {
      if (finished || (chunk.type !== 'done' && chunk.type !== 'error')) return;
      finished = true;
      this.#turns.get(turnId)?.unsubscribe();
      this.#turns.delete(turnId);
      if (chunk.type === 'done' && chunk.usage) this.#use(client, 'tokens', chunk.usage.inputTokens + chunk.usage.outputTokens);
    };
    const sub = this.nc.subscribe(subject, {
      timeout: TURN_FOLLOW_MAX_MS,
      callback: (error, msg) => {
        if (error) {
          this.#turns.delete(turnId);
          return;
        }
        // Most chunks are deltas; only the end of the turn is parsed (in a delta's text a quote is escaped).
        const bytes = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
        if (!bytes.includes('"done"') && !bytes.includes('"error"')) return;
        const chunk = parseJson(chunkParser, msg.string());
        if (chunk.ok) finish(chunk.value);
      },
    });
    this.#turns.set(turnId, sub);
    // The turn may have ended before this subscription reached the server: read its last chunk.
    this.#jsm?.streams
      .getMessage(JetStreamNames.turnsStream, { last_by_subj: subject })
      .then((stored) => {
        const chunk = parseJson(chunkParser, new TextDecoder().decode(stored.data));
        if (chunk.ok) finish(chunk.value);
      })
      .catch(() => undefined);
  }

  #use(client: string, measure: 'tokens' | 'realtime-ms', amount: number): void {
    this.quotas.use(client, measure, amount).catch((error: unknown) => this.log.warn({ err: error, measure }, 'usage not counted'));
  }

  close(): void {
    for (const sub of this.#subscriptions) sub.unsubscribe();
    for (const sub of this.#turns.values()) sub.unsubscribe();
    this.#turns.clear();
  }
}
