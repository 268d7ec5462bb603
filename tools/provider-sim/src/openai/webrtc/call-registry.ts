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

  /** Whether the id was ever handed out (and is still remembered). */
  known(id: string): boolean {
    return this.#live.has(id) || this.#ended.some((r) => r.id === id);
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

  /** Hangs up a call by id; false when the id is unknown. */
  hangUp(id: string): boolean {
    const entry = this.#live.get(id);
    if (entry === undefined) return this.known(id);
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
