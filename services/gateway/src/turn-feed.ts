import type { Msg, NatsConnection, NatsError, Subscription } from 'nats';
import { Subjects } from '@voxgate/protocol';

const TURN_PREFIX = Subjects.turn('');

/** Called with each live chunk message of a turn (or an error of the subscription carrying them). */
export type TurnCallback = (error: NatsError | null, msg: Msg) => void;

/** One turn's share of the feed, until `unsubscribe`. */
export interface TurnListener {
  unsubscribe(): void;
  isClosed(): boolean;
}

/**
 * Every turn's live chunks through one subscription to `Subjects.turn('*')`, handed to whoever
 * listens to that turn. A subscription per turn cost a SUB and an UNSUB on the wire, and the
 * server then sent each chunk twice (the usage count needs every turn's end anyway, so the
 * wildcard was there already). The subscription is at the server once `open` resolves, so a
 * listener added before a turn's start is in place before llm-text hears of the turn.
 */
export class TurnFeed {
  readonly #listeners = new Map<string, Set<TurnCallback>>();
  readonly #taps: ((turnId: string, msg: Msg) => void)[] = [];
  readonly #subscription: Subscription;

  private constructor(nc: NatsConnection) {
    this.#subscription = nc.subscribe(Subjects.turn('*'), { callback: (error, msg) => this.#dispatch(error, msg) });
  }

  static async open(nc: NatsConnection): Promise<TurnFeed> {
    const feed = new TurnFeed(nc);
    await nc.flush();
    return feed;
  }

  /** `callback` gets the turn's chunks from now on, until the returned listener is unsubscribed. */
  listen(turnId: string, callback: TurnCallback): TurnListener {
    let callbacks = this.#listeners.get(turnId);
    if (callbacks === undefined) {
      callbacks = new Set();
      this.#listeners.set(turnId, callbacks);
    }
    callbacks.add(callback);
    let closed = false;
    return {
      unsubscribe: () => {
        if (closed) return;
        closed = true;
        callbacks.delete(callback);
        if (callbacks.size === 0 && this.#listeners.get(turnId) === callbacks) this.#listeners.delete(turnId);
      },
      isClosed: () => closed,
    };
  }

  /** `tap` sees every turn's chunks, listened to or not (the usage count reads the ends). */
  tap(tap: (turnId: string, msg: Msg) => void): void {
    this.#taps.push(tap);
  }

  close(): void {
    this.#subscription.unsubscribe();
    this.#listeners.clear();
  }

  #dispatch(error: NatsError | null, msg: Msg): void {
    if (error) {
      for (const callbacks of this.#listeners.values()) for (const callback of callbacks) callback(error, msg);
      return;
    }
    const turnId = msg.subject.slice(TURN_PREFIX.length);
    // Listeners first: they write to clients waiting on this chunk, taps only count.
    const callbacks = this.#listeners.get(turnId);
    if (callbacks !== undefined) for (const callback of callbacks) callback(null, msg);
    for (const tap of this.#taps) tap(turnId, msg);
  }
}
