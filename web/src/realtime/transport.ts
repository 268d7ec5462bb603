/**
 * A way to exchange GA realtime events as JSON objects: a WebSocket through the relay today, a
 * WebRTC data channel later. The session logic (session.ts) sees only this.
 */

/** A GA server event, as parsed from JSON: every event has a `type`; the rest is read defensively. */
export type ServerEvent = { type: string } & Record<string, unknown>;
/** A GA client event. */
export type ClientEvent = { type: string } & Record<string, unknown>;

export interface TransportClose {
  /** WebSocket close code (1006: cut without a close frame); a data channel maps its own. */
  code: number;
  reason: string;
  /** Whether the transport had opened before it closed (a refused upgrade never opens). */
  opened: boolean;
}

export interface TransportHandlers {
  open(): void;
  event(event: ServerEvent): void;
  /** Called once, whoever closed. */
  closed(close: TransportClose): void;
}

export interface EventTransport {
  /** Sends one event; false if the transport is not open (the event is dropped). */
  send(event: ClientEvent): boolean;
  /** Bytes accepted but not yet on the wire: audio is held back while this grows. */
  readonly bufferedBytes: number;
  /** Closes on purpose (hang-up, switching models): `closed` still fires, with `code` 1000. */
  close(): void;
}

/** Opens a transport to `model`, reporting to `handlers`. */
export type TransportFactory = (handlers: TransportHandlers) => EventTransport;
