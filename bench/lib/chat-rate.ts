import { apiChatTurn, type TurnResult } from './chat.js';

/**
 * Text turns started at a fixed rate (open loop: a slow answer never delays the next start, as
 * independent users would not wait for each other), each through `POST /api/chat` streamed as the
 * page streams it. Results land in whichever bucket is current when the turn ends, so a caller
 * can read them minute by minute.
 */

export interface ChatBucket {
  readonly ttftMs: number[];
  readonly totalMs: number[];
  started: number;
  finished: number;
  /** Turns that failed, ended without `done`, or came back empty. */
  failed: number;
  firstError: string | undefined;
}

export const emptyBucket = (): ChatBucket => ({ ttftMs: [], totalMs: [], started: 0, finished: 0, failed: 0, firstError: undefined });

export class ChatRate {
  #bucket: ChatBucket = emptyBucket();
  #timer: NodeJS.Timeout | undefined;
  #inFlight = new Set<Promise<void>>();
  #n = 0;

  constructor(
    private readonly gatewayUrl: string,
    private readonly turnsPerSecond: number,
  ) {}

  start(): void {
    // One timer tick per turn would drift on a busy machine; start however many are due instead.
    const startedMs = performance.now();
    let launched = 0;
    this.#timer = setInterval(() => {
      const due = Math.floor(((performance.now() - startedMs) / 1000) * this.turnsPerSecond) - launched;
      for (let i = 0; i < due; i++) this.#launch();
      launched += Math.max(0, due);
    }, 10);
  }

  /** Hands back the bucket filled so far and starts a new one. */
  take(): ChatBucket {
    const full = this.#bucket;
    this.#bucket = emptyBucket();
    return full;
  }

  /** Stops starting turns and waits for those in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#inFlight);
  }

  #launch(): void {
    const n = this.#n++;
    this.#bucket.started++;
    const turn = apiChatTurn(this.gatewayUrl, `Soak turn ${n}.`).then(
      (result: TurnResult) => {
        const bucket = this.#bucket;
        if (result.done && result.text !== '') {
          bucket.finished++;
          bucket.ttftMs.push(result.ttftMs);
          bucket.totalMs.push(result.totalMs);
        } else {
          bucket.failed++;
          bucket.firstError ??= `turn ${n} ended without done`;
        }
      },
      (error: unknown) => {
        this.#bucket.failed++;
        this.#bucket.firstError ??= error instanceof Error ? error.message : String(error);
      },
    );
    const tracked = turn.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }
}
