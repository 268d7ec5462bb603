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
import type { JetStreamManager, NatsConnection, Subscription } from 'nats';
import type { TurnFeed } from '../turn-feed.js';
import type { Quotas } from './quotas.js';

const chunkParser = createParser(TurnChunk);
/** What an end chunk's bytes hold (as Buffers: a string needle is encoded again on every search). */
const DONE_TYPE = Buffer.from('"done"');
const ERROR_TYPE = Buffer.from('"error"');
const decoder = new TextDecoder();
const usageParser = createParser(RealtimeUsageEvent);
const closedParser = createParser(RealtimeSessionClosed);

/** A turn is followed for its usage at most this long (llm-text's whole-turn deadline is 5 min by default). */
const TURN_FOLLOW_MAX_MS = 15 * 60_000;
/** How often turns followed for longer than that are forgotten. */
const TURN_SWEEP_MS = 60_000;
/**
 * Ends of turns not (yet) known as this replica's, kept in case the turn's start is registered
 * just after its end arrived (the start's reply and the end can come in the same read).
 */
const RECENT_ENDS_MAX = 1_000;
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
  readonly #turns = new Map<string, { client: string; sinceMs: number }>();
  readonly #recentEnds = new Map<string, Uint8Array>();
  #sweep: NodeJS.Timeout | undefined;
  #jsm: JetStreamManager | undefined;
  #closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly quotas: Quotas,
    private readonly turnFeed: TurnFeed,
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
    // Every turn's chunks from the feed's one subscription, not one per turn (a SUB, an UNSUB and
    // a stream lookup each): a delta costs a map lookup and a byte search, only an end is parsed.
    this.turnFeed.tap((turnId, msg) => {
      if (!this.#closed) this.#chunk(turnId, msg.data);
    });
    // Subscribed at the server once this resolves: an end published just after would otherwise be missed.
    await this.nc.flush();
    this.#sweep = setInterval(() => {
      const oldestMs = Date.now() - TURN_FOLLOW_MAX_MS;
      for (const [turnId, turn] of this.#turns) if (turn.sinceMs < oldestMs) this.#turns.delete(turnId);
    }, TURN_SWEEP_MS);
    this.#sweep.unref();
    // Chunks published while NATS was away never reach the subscription: look up how the turns
    // still open here ended.
    void (async () => {
      for await (const status of this.nc.status()) if (status.type === 'reconnect' && !this.#closed) for (const turnId of this.#turns.keys()) this.#lookUp(turnId);
    })();
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
    this.#turns.set(turnId, { client, sinceMs: Date.now() });
    const ended = this.#recentEnds.get(turnId);
    if (ended) this.#end(turnId, ended);
  }

  #chunk(turnId: string, data: Uint8Array): void {
    // Most chunks are deltas; only the end of a turn is parsed (in a delta's text a quote is escaped).
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (!bytes.includes(DONE_TYPE) && !bytes.includes(ERROR_TYPE)) return;
    if (this.#turns.has(turnId)) {
      this.#end(turnId, data);
      return;
    }
    // A copy: the message's bytes share the buffer of a whole socket read.
    this.#recentEnds.set(turnId, data.slice());
    if (this.#recentEnds.size > RECENT_ENDS_MAX) this.#recentEnds.delete(this.#recentEnds.keys().next().value as string);
  }

  #end(turnId: string, data: Uint8Array): void {
    const turn = this.#turns.get(turnId);
    const chunk = parseJson(chunkParser, decoder.decode(data));
    if (!turn || !chunk.ok || (chunk.value.type !== 'done' && chunk.value.type !== 'error')) return;
    this.#turns.delete(turnId);
    this.#recentEnds.delete(turnId);
    if (chunk.value.type === 'done' && chunk.value.usage) this.#use(turn.client, 'tokens', chunk.value.usage.inputTokens + chunk.value.usage.outputTokens);
  }

  #lookUp(turnId: string): void {
    this.#jsm?.streams
      .getMessage(JetStreamNames.turnsStream, { last_by_subj: Subjects.turn(turnId) })
      .then((stored) => this.#end(turnId, stored.data))
      .catch(() => undefined);
  }

  #use(client: string, measure: 'tokens' | 'realtime-ms', amount: number): void {
    this.quotas.use(client, measure, amount);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const sub of this.#subscriptions) sub.unsubscribe();
    this.#turns.clear();
    this.#recentEnds.clear();
  }
}
