import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errors } from '../errors.js';
import { closeFrame, FrameBoundary, textFrame } from './frame-boundary.js';
import { errorNotice } from './notice.js';

/** When one side has closed, how long the other gets to flush before it is cut. */
const CLOSE_WAIT_MS = 1_000;
/** TCP keep-alive on both sides, so a peer that vanished without a FIN is noticed eventually. */
const KEEP_ALIVE_DELAY_MS = 30_000;
/** Close code for a relay that vanished (RFC 6455 §7.4.1 "bad gateway"): the page and programs reconnect on it. */
const RELAY_LOST_CLOSE = 1014;
const HEAD_END = Buffer.from('\r\n\r\n');
const NOTHING = Buffer.alloc(0);

export interface PipeHandle {
  /**
   * Ends the connection as a WebSocket server would: `notice` (a text event) and a close frame
   * with `code` to the client, a close frame with `code` to the relay, each inserted between two
   * frames of its direction. Resolves once both sockets are closed, at most about two
   * `CLOSE_WAIT_MS` later (a frame that never ends, a peer that never answers: cut).
   */
  close(code: number, reason: string, notice?: string): Promise<void>;
  /** Cuts both sockets now. */
  destroy(): void;
}

/** One direction of the pipe: bytes forwarded as they come, their frames followed by their headers. */
interface Direction {
  readonly from: Duplex;
  readonly to: Duplex;
  readonly frames: FrameBoundary;
  /** Set at a graceful close: what to insert once the frame in progress has passed. */
  insert?: (() => Buffer) | undefined;
  /** The inserted frames are written; later bytes from `from` are dropped. */
  done: boolean;
}

export interface PipeOptions {
  /** The client's upgraded socket. */
  client: Duplex;
  /** The relay's socket, after its 101. */
  relay: Socket;
  /** The relay's answer as read so far: its head and any frames after it. */
  received: Buffer;
  /** Bytes the client sent after its request head, already passed to the relay. */
  clientHead?: Buffer;
  /** Called once, when the pipe has ended, with why. */
  onEnd(why: string): void;
}

/**
 * Joins the client's upgraded socket and the relay's socket after the relay's 101: the relay's
 * answer goes to the client first, then bytes flow both ways untouched, with TCP backpressure end
 * to end. Only frame headers are read (see `frame-boundary.ts`), so that a shutdown can close both
 * sides properly, and so can a relay that vanished. When either side ends or fails, the other is
 * ended too and both are destroyed within `CLOSE_WAIT_MS`; `onEnd` is called once.
 */
export function pipeSockets({ client, relay, received, clientHead = NOTHING, onEnd }: PipeOptions): PipeHandle {
  let ended = false;
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let open = 2;
  const finish = (why: string, abrupt: boolean) => {
    if (ended) return;
    ended = true;
    if (abrupt) {
      client.destroy();
      relay.destroy();
    } else {
      // A graceful end flushes what is queued (a close frame, the last audio) before the FIN.
      client.end();
      relay.end();
      setTimeout(() => {
        client.destroy();
        relay.destroy();
      }, CLOSE_WAIT_MS).unref();
    }
    onEnd(why);
  };

  for (const socket of [client, relay]) {
    // The HTTP server stops watching an upgraded socket; its idle timeout must not cut a quiet session.
    (socket as Socket).setTimeout?.(0);
    (socket as Socket).setNoDelay?.(true);
    (socket as Socket).setKeepAlive?.(true, KEEP_ALIVE_DELAY_MS);
    socket.once('close', () => {
      if (--open === 0) resolveClosed();
    });
  }
  const toClient: Direction = { from: relay, to: client, frames: new FrameBoundary(), done: false };
  const toRelay: Direction = { from: client, to: relay, frames: new FrameBoundary(), done: false };

  /**
   * The relay's socket ended or failed with no close frame sent toward the client: its process
   * died. Rather than a bare cut (1006, no reason), the client gets a `relay_lost` event and a
   * 1014 close, when the stream stands between two frames and the gateway is not closing it itself.
   */
  const relayGone = (why: string, abrupt: boolean) => {
    const frames = toClient.frames;
    if (ended || toClient.done || toClient.insert || frames.closeSeen || !frames.atBoundary) return finish(why, abrupt);
    toClient.done = true;
    toRelay.done = true;
    client.write(framesClosingClient(frames, RELAY_LOST_CLOSE, 'relay_lost', errorNotice(errors.relay_lost())));
    finish(`${why}: client told relay_lost`, false);
  };

  client.on('error', () => finish('client error', true));
  relay.on('error', () => relayGone('relay error', true));
  client.on('close', () => finish('client closed', false));
  relay.on('close', () => relayGone('relay closed', false));
  // The gateway's server allows half-open sockets; a client's FIN ends the session like a close.
  client.on('end', () => finish('client ended', false));
  relay.on('end', () => relayGone('relay ended', false));

  const headEnd = received.indexOf(HEAD_END);
  toClient.frames.feed(headEnd < 0 ? NOTHING : received.subarray(headEnd + HEAD_END.length));
  toRelay.frames.feed(clientHead);

  /** Writes a direction's inserted frames once it is between frames; when both are, ends the pipe. */
  const insertIfDue = (direction: Direction) => {
    if (direction.done || !direction.insert || !direction.frames.atBoundary) return;
    direction.done = true;
    direction.to.write(direction.insert());
    if (toClient.done && toRelay.done) finish('gateway shutting down', false);
  };
  for (const direction of [toClient, toRelay]) {
    const { from, to, frames } = direction;
    from.on('data', (chunk: Buffer) => {
      if (direction.done) return;
      if (!direction.insert) {
        frames.feed(chunk);
        if (!to.write(chunk)) from.pause();
        return;
      }
      // Closing: the rest of the frame in progress still goes through, then the inserted frames.
      const upTo = frames.feed(chunk, true);
      if (upTo > 0) to.write(upTo === chunk.length ? chunk : chunk.subarray(0, upTo));
      insertIfDue(direction);
    });
    to.on('drain', () => from.resume());
  }

  client.write(received);
  // The relay's socket was paused after its head was read; the client's may be too after the upgrade.
  client.resume();
  relay.resume();
  return {
    close(code, reason, notice) {
      if (ended) return closed;
      toClient.insert = () => framesClosingClient(toClient.frames, code, reason, notice);
      toRelay.insert = () => closeFrame(code, reason, true);
      for (const direction of [toClient, toRelay]) {
        // The frame in progress may sit behind backpressure; it is read now, whatever the other side's pace.
        direction.from.resume();
        insertIfDue(direction);
      }
      setTimeout(() => finish('gateway shutting down: frames did not end in time', true), CLOSE_WAIT_MS).unref();
      return closed;
    },
    destroy: () => finish('gateway shutting down', true),
  };
}

/**
 * A close frame toward the client, after `notice` as a text event unless the stream stands inside a
 * fragmented message: a text frame may not interrupt one, the close frame alone may.
 */
function framesClosingClient(frames: FrameBoundary, code: number, reason: string, notice: string | undefined): Buffer {
  const close = closeFrame(code, reason, false);
  return notice === undefined || frames.inMessage ? close : Buffer.concat([textFrame(notice), close]);
}
