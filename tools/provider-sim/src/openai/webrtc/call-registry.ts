import type { WebRtcCall, CallRecord } from './call.js';

/** Ended calls remembered, so tests can check what arrived after a hang-up. */
const MAX_ENDED_CALLS = 100;

/** The WebRTC calls of one simulator instance: live ones, and the last ended ones as records. */
export class CallRegistry {
  readonly #live = new Map<string, { record: CallRecord; call: WebRtcCall | undefined }>();
  #ended: CallRecord[] = [];

  add(record: CallRecord, call: WebRtcCall | undefined): void {
    this.#live.set(record.id, { record, call });
  }

  /** A live call by id; undefined for unknown or ended ones. */
  live(id: string): WebRtcCall | undefined {
    return this.#live.get(id)?.call;
  }

  /** Moves a call to the ended list; blackholed calls have no peer, so this is their whole hang-up. */
  ended(id: string): void {
    const entry = this.#live.get(id);
    if (entry === undefined) return;
    this.#live.delete(id);
    entry.record.endedAt ??= new Date().toISOString();
    this.#ended.push(entry.record);
    if (this.#ended.length > MAX_ENDED_CALLS) this.#ended.splice(0, this.#ended.length - MAX_ENDED_CALLS);
  }

  /**
   * Hangs up a live call by id; false when no live call has it. protocols.md §1.3 names the
   * endpoint but not what an ended call gets; OpenAI's reference has it end "an active Realtime API
   * call", and this simulator's sideband already refuses a call that has ended with 404
   * `call_not_found`. So a call that has ended (hung up or by itself) is refused here the same way
   * as an id never handed out; a 200 would leave untested the callers that read 404 as "over".
   */
  hangUp(id: string): boolean {
    const entry = this.#live.get(id);
    if (entry === undefined) return false;
    if (entry.call !== undefined) entry.call.hangUp();
    else {
      entry.record.hungUp = true;
      entry.record.state = 'closed';
      this.ended(id);
    }
    return true;
  }

  snapshot() {
    const live = [...this.#live.values()].map((e) => e.record);
    return { open: live.length, calls: [...live, ...this.#ended.toReversed()] };
  }

  clearEnded(): number {
    const count = this.#ended.length;
    this.#ended = [];
    return count;
  }

  /** The simulator is closing: every call ends now. */
  endAll(): void {
    for (const id of [...this.#live.keys()]) this.hangUp(id);
  }
}
