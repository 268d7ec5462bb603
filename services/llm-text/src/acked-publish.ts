import { createInbox, headers, type Msg, type NatsConnection, type PubAck, type PublishOptions, type Subscription } from 'nats';

/** How long a publish waits for its ack, as nats.js's `js.publish` does by default. */
const ACK_TIMEOUT_MS = 5_000;
/** How often unanswered publishes are checked against their deadline. */
const EXPIRY_CHECK_MS = 1_000;

interface Waiting {
  resolve(ack: PubAck): void;
  reject(error: Error): void;
  deadlineMs: number;
}

/**
 * JetStream publishes that wait for the stream's ack, answered on one wildcard subscription.
 * nats.js's `js.publish` makes each a request: a reply inbox entry, a timer, and on success an
 * error object with a stack (its request's cancel), which together cost llm-text more CPU than
 * the publish; a turn makes several. Deadlines are checked once a second instead, so a lost ack
 * fails within one more second than the timeout.
 */
export class AckedPublish {
  readonly #nc: NatsConnection;
  readonly #prefix = `${createInbox()}.`;
  readonly #waiting = new Map<string, Waiting>();
  readonly #subscription: Subscription;
  readonly #expiry: NodeJS.Timeout;
  #next = 0;
  #closed = false;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#subscription = nc.subscribe(`${this.#prefix}*`, { callback: (_error, msg) => this.#answer(msg) });
    this.#expiry = setInterval(() => this.#expire(), EXPIRY_CHECK_MS);
    this.#expiry.unref();
  }

  /**
   * Publishes to a stream's subject; resolves with the ack, rejects when it is refused or lost.
   * `msgID` (`Nats-Msg-Id`) lets the stream drop a repeat.
   */
  publish(subject: string, data: string, msgID?: string): Promise<PubAck> {
    if (this.#closed) return Promise.reject(new Error('the publisher is closed'));
    const token = String(++this.#next);
    return new Promise<PubAck>((resolve, reject) => {
      this.#waiting.set(token, { resolve, reject, deadlineMs: Date.now() + ACK_TIMEOUT_MS });
      const options: PublishOptions = { reply: this.#prefix + token };
      if (msgID !== undefined) {
        options.headers = headers();
        options.headers.set('Nats-Msg-Id', msgID);
      }
      try {
        this.#nc.publish(subject, data, options);
      } catch (error) {
        this.#waiting.delete(token);
        reject(error as Error);
      }
    });
  }

  /** Fails what still waits and what is published after, and stops listening (after the turns have ended). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#expiry);
    this.#subscription.unsubscribe();
    for (const waiting of this.#waiting.values()) waiting.reject(new Error('the publisher closed before the ack came'));
    this.#waiting.clear();
  }

  #answer(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length);
    const waiting = this.#waiting.get(token);
    if (waiting === undefined) return;
    this.#waiting.delete(token);
    // No stream listens on the subject: the server answers with a 503 status and no body.
    if (msg.headers?.hasError) {
      waiting.reject(new Error(`JetStream refused the publish: ${msg.headers.code} ${msg.headers.description}`));
      return;
    }
    try {
      const ack = msg.json<PubAck & { error?: { description?: string } }>();
      if (ack.error !== undefined) waiting.reject(new Error(`JetStream refused the publish: ${ack.error.description ?? 'no reason given'}`));
      else waiting.resolve(ack);
    } catch (error) {
      waiting.reject(error as Error);
    }
  }

  #expire(): void {
    const nowMs = Date.now();
    for (const [token, waiting] of this.#waiting) {
      if (waiting.deadlineMs > nowMs) continue;
      this.#waiting.delete(token);
      waiting.reject(new Error(`no JetStream ack within ${ACK_TIMEOUT_MS} ms`));
    }
  }
}
