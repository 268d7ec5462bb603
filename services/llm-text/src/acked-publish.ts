import { ErrorCode, headers, type Msg, type MsgHdrs, type NatsConnection, type NatsError, type PubAck } from 'nats';
import { ReplyInbox } from '@voxgate/service-kit';

/** How long a publish waits for its ack, as nats.js's `js.publish` does by default. */
const ACK_TIMEOUT_MS = 5_000;

/**
 * JetStream publishes that wait for the stream's ack, the acks answered on the shared reply inbox
 * instead of a nats.js request each (`js.publish` is one: an inbox entry, a timer and, even on
 * success, an error object with a stack, which together cost llm-text more CPU than the publish;
 * a turn makes several). A lost ack fails within one more second than the timeout.
 */
export class AckedPublish {
  readonly #inbox: ReplyInbox;
  #closed = false;
  #epoch = 0;
  #connected = true;

  constructor(nc: NatsConnection) {
    this.#inbox = new ReplyInbox(nc);
    void this.#watch(nc);
  }

  /**
   * Changes whenever the connection drops or comes back. Publishes sent in one epoch on a working
   * connection are stored in the order sent, so the last one stored means all before it were;
   * across a drop that no longer holds (what was written into the dead socket is lost, what was
   * buffered meanwhile may find JetStream not yet back).
   */
  get epoch(): number {
    return this.#epoch;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Publishes to a stream's subject; resolves with the ack, rejects when it is refused or lost.
   * `msgID` (`Nats-Msg-Id`) lets the stream drop a repeat.
   */
  async publish(subject: string, data: string, msgID?: string): Promise<PubAck> {
    if (this.#closed) throw new Error('the publisher is closed');
    let h: MsgHdrs | undefined;
    if (msgID !== undefined) {
      h = headers();
      h.set('Nats-Msg-Id', msgID);
    }
    let msg: Msg;
    try {
      msg = await this.#inbox.request(subject, data, { timeoutMs: ACK_TIMEOUT_MS, headers: h });
    } catch (error) {
      throw ackFailure(error);
    }
    if (msg.headers?.hasError) throw new Error(`JetStream refused the publish: ${msg.headers.code} ${msg.headers.description}`);
    const ack = msg.json<PubAck & { error?: { description?: string } }>();
    if (ack.error !== undefined) throw new Error(`JetStream refused the publish: ${ack.error.description ?? 'no reason given'}`);
    return ack;
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        this.#epoch++;
        this.#connected = status.type === 'reconnect';
      }
    }
  }

  /** Fails what still waits and what is published after, and stops listening (after the turns have ended). */
  close(): void {
    this.#closed = true;
    this.#inbox.close();
  }
}

/** The inbox's failure in the publisher's words. */
function ackFailure(error: unknown): unknown {
  switch ((error as NatsError).code) {
    // No stream listens on the subject: the server answers with a 503 status and no body.
    case ErrorCode.NoResponders:
      return new Error('JetStream refused the publish: 503 no stream takes the subject', { cause: error });
    case ErrorCode.Timeout:
      return new Error(`no JetStream ack within ${ACK_TIMEOUT_MS} ms`, { cause: error });
    case ErrorCode.ConnectionClosed:
      return new Error('the publisher closed before the ack came', { cause: error });
    default:
      return error;
  }
}
