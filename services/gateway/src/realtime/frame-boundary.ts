import { randomFillSync } from 'node:crypto';

/**
 * Follows one direction of a WebSocket stream by its frame headers alone (RFC 6455 §5.2): how many
 * bytes of the frame in progress are still to come, and whether a fragmented message is open. The
 * bytes are never copied, unmasked or changed; only the 2–14 header bytes of each frame are read.
 * The gateway needs this for one thing: at shutdown it may insert its own frames into the pipe
 * (a GA `error` event and a 1001 close), which is only valid between two frames; and when the
 * relay vanishes, it tells whether the client was already sent a close frame.
 */
export class FrameBoundary {
  readonly #header = Buffer.alloc(14);
  /** Header bytes of the next frame seen so far. */
  #headerBytes = 0;
  /** Payload bytes of the current frame still to come. */
  #payloadLeft = 0;
  #inMessage = false;
  #closeSeen = false;

  /** Between two frames: a frame may be inserted here. */
  get atBoundary(): boolean {
    return this.#headerBytes === 0 && this.#payloadLeft === 0;
  }

  /** Inside a fragmented message: only control frames (close, ping) may be inserted. */
  get inMessage(): boolean {
    return this.#inMessage;
  }

  /** A close frame's header has passed: the peer has begun the closing handshake. */
  get closeSeen(): boolean {
    return this.#closeSeen;
  }

  /**
   * Takes the next bytes of the stream. With `stopAtBoundary`, stops where the first frame ends
   * and returns how many bytes that is (0 when already between frames); otherwise takes them all.
   */
  feed(chunk: Buffer, stopAtBoundary = false): number {
    if (stopAtBoundary && this.atBoundary) return 0;
    const length = chunk.length;
    let i = 0;
    while (i < length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, length - i);
        this.#payloadLeft -= take;
        i += take;
      } else {
        this.#header[this.#headerBytes++] = chunk[i++] as number;
        if (!this.#headerComplete()) continue;
      }
      if (stopAtBoundary && this.atBoundary) return i;
    }
    return i;
  }

  /** Once the header is whole: its payload length is taken and the message state updated. */
  #headerComplete(): boolean {
    const header = this.#header;
    if (this.#headerBytes < 2) return false;
    const length7 = (header[1] as number) & 0x7f;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const masked = ((header[1] as number) & 0x80) !== 0;
    if (this.#headerBytes < 2 + extended + (masked ? 4 : 0)) return false;
    this.#payloadLeft =
      extended === 0 ? length7 : extended === 2 ? header.readUInt16BE(2) : header.readUInt32BE(2) * 2 ** 32 + header.readUInt32BE(6);
    this.#headerBytes = 0;
    const fin = ((header[0] as number) & 0x80) !== 0;
    const opcode = (header[0] as number) & 0x0f;
    // Control frames (0x8–0xF) may sit inside a fragmented message and do not end it.
    if (opcode < 0x8) this.#inMessage = !fin;
    else if (opcode === 0x8) this.#closeSeen = true;
    return true;
  }
}

/** A close frame with `code` and a short reason; `masked` for the client-to-server direction. */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return frame(0x8, payload.subarray(0, Math.min(payload.length, 125)), masked);
}

/** A server-to-client text frame. */
export function textFrame(text: string): Buffer {
  return frame(0x1, Buffer.from(text), false);
}

function frame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const head = Buffer.alloc(2 + extended + (masked ? 4 : 0));
  head[0] = 0x80 | opcode;
  head[1] = (masked ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) head.writeUInt16BE(length, 2);
  else if (extended === 8) head.writeBigUInt64BE(BigInt(length), 2);
  if (!masked) return Buffer.concat([head, payload]);
  // A client's frames must be masked (RFC 6455 §5.3); the relay's ws server refuses unmasked ones.
  const key = randomFillSync(head.subarray(2 + extended));
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([head, body]);
}
