import { errors } from './errors.js';

/** A call this replica set up and follows. */
export interface LiveCall {
  callId: string;
  model: string;
  conversationId: string;
  startedAtMs: number;
  /** Stops following the call (closes the sideband socket); set once the sideband is opened. */
  stopFollowing?: () => void;
}

/**
 * The live calls of this replica, bounded: a call leaves when it is hung up or its sideband ends,
 * and one older than `maxAgeMs` (longer than OpenAI lets a session run) is dropped when room is
 * needed, so calls whose page vanished without a hang-up cannot fill the map.
 */
export class CallsRegistry {
  readonly #calls = new Map<string, LiveCall>();

  constructor(
    readonly maxCalls: number,
    readonly maxAgeMs: number,
    readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#calls.size;
  }

  /** Refuses (503 `too_many_calls`) when no room is left; checked before OpenAI is asked. */
  ensureRoom(): void {
    if (this.#calls.size < this.maxCalls) return;
    this.#sweep();
    if (this.#calls.size >= this.maxCalls) throw errors.too_many_calls();
  }

  add(call: LiveCall): void {
    this.ensureRoom();
    this.#calls.set(call.callId, call);
  }

  get(callId: string): LiveCall | undefined {
    return this.#calls.get(callId);
  }

  /**
   * Removes the call and returns it (undefined when it was not live). Following it is the caller's
   * to stop: after a hang-up the sideband still brings the last answer's transcript and usage.
   */
  remove(callId: string): LiveCall | undefined {
    const call = this.#calls.get(callId);
    if (call === undefined) return undefined;
    this.#calls.delete(callId);
    return call;
  }

  /** Every live call, oldest first (insertion order). */
  all(): LiveCall[] {
    return [...this.#calls.values()];
  }

  #sweep(): void {
    const cutoff = this.now() - this.maxAgeMs;
    for (const call of this.all()) if (call.startedAtMs < cutoff) this.remove(call.callId)?.stopFollowing?.();
  }
}
