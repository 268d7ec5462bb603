import { createInbox, ErrorCode, NatsError, type Msg, type MsgHdrs, type NatsConnection, type Payload, type Subscription } from 'nats';

/** How often waiting requests are checked against their deadline, unless the owner says otherwise. */
const DEFAULT_EXPIRY_CHECK_MS = 1_000;

export interface InboxRequestOptions {
  timeoutMs: number;
  headers?: MsgHdrs | undefined;
}

interface Waiter {
  resolve(msg: Msg): void;
  reject(error: Error): void;
  deadlineMs: number;
}

/**
 * Request/reply over NATS with every reply coming back on one wildcard subscription. nats.js's
 * own `request` (and `js.publish`, which is one) costs per request a request object, a timer,
 * three promises and, once the reply is in, a `NatsError` with its stack built only to be
 * dropped: 3 % of the gateway's CPU under chat load, more than the publish itself in llm-text.
 * Here a request is a Map entry; deadlines are checked by one interval, so an unanswered request
 * fails up to one check interval after its timeout. Failures are the `NatsError` codes nats.js
 * uses (`NoResponders`, `Timeout`, `ConnectionClosed`), so `requestJson` reads them alike.
 */
export class ReplyInbox {
  readonly #nc: NatsConnection;
  readonly #prefix = `${createInbox()}.`;
  readonly #waiting = new Map<string, Waiter>();
  readonly #subscription: Subscription;
  readonly #expiry: NodeJS.Timeout;
  #next = 0;
  #closed = false;

  constructor(nc: NatsConnection, options: { expiryCheckMs?: number } = {}) {
    this.#nc = nc;
    this.#subscription = nc.subscribe(`${this.#prefix}*`, { callback: (error, msg) => this.#reply(error, msg) });
    // The connection closing ends the subscription: nothing will answer what is still waiting.
    void this.#subscription.closed.then(() => this.close());
    this.#expiry = setInterval(() => this.#expire(), options.expiryCheckMs ?? DEFAULT_EXPIRY_CHECK_MS);
    this.#expiry.unref();
  }

  /** Publishes `data` to `subject` and resolves with the reply; a 503 without payload is `NoResponders`. */
  request(subject: string, data: Payload, options: InboxRequestOptions): Promise<Msg> {
    if (this.#closed) return Promise.reject(NatsError.errorForCode(ErrorCode.ConnectionClosed));
    const token = (this.#next++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      this.#waiting.set(token, { resolve, reject, deadlineMs: Date.now() + options.timeoutMs });
      try {
        this.#nc.publish(subject, data, { reply: this.#prefix + token, ...(options.headers ? { headers: options.headers } : {}) });
      } catch (error) {
        this.#waiting.delete(token);
        reject(error as Error);
      }
    });
  }

  /** Fails what still waits and what is requested after with `ConnectionClosed`, and stops listening. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#expiry);
    this.#subscription.unsubscribe();
    for (const waiter of this.#waiting.values()) waiter.reject(NatsError.errorForCode(ErrorCode.ConnectionClosed));
    this.#waiting.clear();
  }

  #reply(error: NatsError | null, msg: Msg): void {
    if (error) return;
    const token = msg.subject.slice(this.#prefix.length);
    const waiter = this.#waiting.get(token);
    if (waiter === undefined) return;
    this.#waiting.delete(token);
    // The server's own answer when nobody subscribes to the subject: status 503, no payload.
    if (msg.data.length === 0 && msg.headers?.code === 503) waiter.reject(NatsError.errorForCode(ErrorCode.NoResponders));
    else waiter.resolve(msg);
  }

  #expire(): void {
    const nowMs = Date.now();
    for (const [token, waiter] of this.#waiting) {
      if (waiter.deadlineMs > nowMs) continue;
      this.#waiting.delete(token);
      waiter.reject(NatsError.errorForCode(ErrorCode.Timeout));
    }
  }
}
