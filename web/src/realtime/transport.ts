import type { Playback } from './playback.js';
import type { Phrase } from './transcript.js';

/**
 * A way to exchange GA realtime events as JSON objects: a WebSocket through the relay, or a WebRTC
 * data channel (`oai-events`) next to the call's audio tracks. The session logic (session.ts) sees
 * only this, so both transports share one event handler.
 */

/** A GA server event, as parsed from JSON: every event has a `type`; the rest is read defensively. */
export type ServerEvent = { type: string } & Record<string, unknown>;

/**
 * A server event from one text message of either transport (WebSocket frame or data-channel
 * message); anything that is not a JSON object with a `type` is dropped.
 */
export function parseServerEvent(data: unknown): ServerEvent | undefined {
  if (typeof data !== 'string') return undefined;
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return undefined;
  }
  return typeof event === 'object' && event !== null && typeof (event as { type?: unknown }).type === 'string' ? (event as ServerEvent) : undefined;
}
/** A GA client event. */
export type ClientEvent = { type: string } & Record<string, unknown>;

/** How the events (and the audio) travel; the page names it in the status chip. */
export type TransportName = 'websocket' | 'webrtc';

export interface TransportClose {
  /** WebSocket close code (1006: cut without a close frame); a peer connection maps its own. */
  code: number;
  /** The other side's words (a WebSocket close reason, a server's error), or the page's own, worded when shown. */
  reason: string | Phrase;
  /** Whether the transport had opened before it closed (a refused upgrade never opens). */
  opened: boolean;
}

/** A media path's health after it opened: `unstable` is WebRTC's `disconnected`, which may heal. */
export type LinkState = 'unstable' | 'restored';

export interface TransportHandlers {
  open(): void;
  event(event: ServerEvent): void;
  /** Called once, whoever closed. */
  closed(close: TransportClose): void;
  /** The link wavers without closing (only transports with their own connectivity checks call it). */
  link?(state: LinkState): void;
}

/**
 * Audio carried as media (WebRTC): the microphone goes out as an RTP track, the model's voice
 * comes back as one. The session then sends no `input_audio_buffer.append` and receives no
 * `response.output_audio.delta`; the provider's `output_audio_buffer.*` events say when its voice
 * plays, and barge-in is `response.cancel` + `output_audio_buffer.clear` (the server truncates).
 */
export interface MediaLink {
  /** The model's voice from the remote track, with the bookkeeping the session needs. */
  readonly voice: RemoteVoice;
  /** Hands the peer the microphone (undefined: none yet, or it stopped). */
  setMicrophone(track: MediaStreamTrack | undefined): void;
  /** Whether the microphone's sound goes out (mute, push-to-talk not held): silence otherwise. */
  setSending(enabled: boolean): void;
  /** The RTP audio counters of the peer (for the test hook and debugging). */
  rtp(): Promise<RtpCounters>;
}

export interface RtpCounters {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
}

/** Playback of audio that arrives as media: nothing is pushed; the provider says when it plays. */
export interface RemoteVoice extends Playback {
  /** `output_audio_buffer.started`: the provider began sending `itemId`'s audio on the track. */
  started(itemId: string | undefined): void;
  /** `output_audio_buffer.stopped` / `.cleared`: the track fell silent. */
  ended(): void;
}

export interface EventTransport {
  readonly name: TransportName;
  /** Sends one event; false if the transport is not open (the event is dropped). */
  send(event: ClientEvent): boolean;
  /** Bytes accepted but not yet on the wire: audio is held back while this grows. */
  readonly bufferedBytes: number;
  /** Present when audio travels as media beside the events (WebRTC). */
  readonly media: MediaLink | undefined;
  /** Closes on purpose (hang-up, switching models): `closed` still fires, with `code` 1000. */
  close(): void;
}

/** Opens a transport to `model`, reporting to `handlers`. */
export type TransportFactory = (handlers: TransportHandlers) => EventTransport;
