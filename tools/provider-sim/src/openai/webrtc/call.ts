import type { MediaStreamTrack, RTCDataChannel } from 'werift';
import type { WebSocket } from 'ws';
import { sendEvent } from '../../realtime/events.js';
import type { RealtimePace } from '../../realtime/pace.js';
import type { RealtimeRegistry, RealtimeSessionRecord } from '../../realtime/registry.js';
import { OpenAiRealtimeSession } from '../realtime/session.js';
import { OpusDecoder } from './opus.js';
import type { AnsweredPeer } from './peer.js';
import { RtpAudioOutput } from './rtp-out.js';

/** Events kept for a data channel that is not open yet; session.created is the first of them. */
const MAX_PENDING_EVENTS = 200;
/** A call whose ICE has not connected by then is given up, so abandoned offers do not hold sockets. */
const CONNECT_TIMEOUT_MS = 30_000;
/** Distinct client event types counted per call. */
const MAX_EVENT_TYPES = 100;

/** One call as `GET /_sim/webrtc` lists it; never a key. */
export interface CallRecord {
  id: string;
  model: string;
  /** How the call was authorised: the server key (multipart) or a client secret (`application/sdp`). */
  auth: 'server_key' | 'client_secret';
  createdAt: string;
  /** The peer connection's state; `blackholed` when a fault answered with unreachable candidates. */
  state: string;
  dataChannelOpen: boolean;
  hungUp: boolean;
  endedAt?: string;
  rtpPacketsIn: number;
  rtpBytesIn: number;
  /** Audio decoded from the incoming Opus, in ms of 24 kHz PCM, and packets that would not decode. */
  decodedMsIn: number;
  undecodablePackets: number;
  rtpPacketsOut: number;
  rtpBytesOut: number;
  /** Client events received on the data channel, by type. */
  dataChannelEvents: Record<string, number>;
  sidebandConnections: number;
  sidebandEvents: Record<string, number>;
  /** The `session` part of the request (or the client secret's session), then session.update bodies. */
  initialSession: unknown;
  session: RealtimeSessionRecord;
  fault?: string;
}

export interface CallDeps {
  record: CallRecord;
  registry: RealtimeRegistry;
  pace: RealtimePace;
  nextId(prefix: string): string;
  initialSession: Record<string, unknown> | undefined;
  onEnded(): void;
}

/**
 * A live WebRTC call: the werift peer, the GA session behind it, and the sockets following it.
 * Server events go to the `oai-events` data channel (queued until it opens) and to every sideband
 * socket; client events from either act on the same session. Incoming Opus is counted and decoded
 * for the VAD; response audio goes out on the audio track.
 */
export class WebRtcCall {
  readonly #session: OpenAiRealtimeSession;
  readonly #decoder = new OpusDecoder();
  readonly #output: RtpAudioOutput;
  readonly #sidebands = new Set<WebSocket>();
  #channel: RTCDataChannel | undefined;
  #pending: Record<string, unknown>[] = [];
  #ended = false;

  constructor(
    private readonly peer: AnsweredPeer,
    private readonly deps: CallDeps,
  ) {
    const { record } = deps;
    this.#output = new RtpAudioOutput(peer.audio.sender, (event) => this.#session.emit(event), record);
    this.#session = new OpenAiRealtimeSession({
      transport: { send: (event) => this.#broadcast(event) },
      audioOutput: this.#output,
      ...(deps.initialSession === undefined ? {} : { initialSession: deps.initialSession }),
      record: record.session,
      registry: deps.registry,
      model: record.model,
      pace: deps.pace,
      nextId: deps.nextId,
    });
    const { pc } = peer;
    const giveUp = setTimeout(() => {
      if (pc.connectionState !== 'connected') this.end();
    }, CONNECT_TIMEOUT_MS);
    giveUp.unref();
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') clearTimeout(giveUp);
      if (!this.#ended) record.state = state;
      if (state === 'failed' || state === 'closed') this.end();
    });
    pc.onDataChannel.subscribe((channel) => this.#adopt(channel));
    // The remote track may exist already (werift creates it while applying the offer) or come later.
    const listening = new Set<MediaStreamTrack>();
    const listen = (track: MediaStreamTrack) => {
      if (listening.has(track)) return;
      listening.add(track);
      track.onReceiveRtp.subscribe((packet) => this.#onRtp(packet.payload));
    };
    for (const track of peer.audio.receiver.tracks) listen(track);
    peer.audio.onTrack.subscribe(listen);
  }

  get id(): string {
    return this.deps.record.id;
  }

  get model(): string {
    return this.deps.record.model;
  }

  #adopt(channel: RTCDataChannel): void {
    // OpenAI speaks only on the channel the client opened as `oai-events`.
    if (channel.label !== 'oai-events' || this.#channel !== undefined) return;
    this.#channel = channel;
    channel.onMessage.subscribe((data) => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
      count(this.deps.record.dataChannelEvents, typeOf(bytes));
      this.#session.receive(bytes, typeof data !== 'string');
    });
    const onOpen = () => {
      this.deps.record.dataChannelOpen = true;
      for (const event of this.#pending.splice(0)) channel.send(JSON.stringify(event));
    };
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') onOpen();
      else if (state === 'closed') this.deps.record.dataChannelOpen = false;
    });
    if (channel.readyState === 'open') onOpen();
  }

  #broadcast(event: Record<string, unknown>): void {
    const channel = this.#channel;
    if (channel?.readyState === 'open') channel.send(JSON.stringify(event));
    else if (!this.#ended && this.#pending.length < MAX_PENDING_EVENTS) this.#pending.push(event);
    for (const socket of this.#sidebands) sendEvent(socket, event);
  }

  #onRtp(payload: Buffer): void {
    const { record } = this.deps;
    record.rtpPacketsIn += 1;
    record.rtpBytesIn += payload.length;
    const pcm = this.#decoder.decode(payload);
    if (pcm === undefined) {
      record.undecodablePackets += 1;
      return;
    }
    record.decodedMsIn += (pcm.length / 2 / 24_000) * 1000;
    this.#session.appendPcm(pcm);
  }

  /** A server following the call (`wss://…/realtime?call_id=`): sees its events, may send its own. */
  follow(socket: WebSocket): void {
    const { record } = this.deps;
    record.sidebandConnections += 1;
    this.#sidebands.add(socket);
    socket.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      count(record.sidebandEvents, typeOf(bytes));
      this.#session.receive(bytes, isBinary);
    });
    socket.on('close', () => this.#sidebands.delete(socket));
    if (this.#ended) socket.close(1000, 'call ended');
  }

  hangUp(): void {
    this.deps.record.hungUp = true;
    this.end();
  }

  /** Ends the call once: the response stops, the peer closes, sideband sockets are closed. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const { record } = this.deps;
    record.endedAt = new Date().toISOString();
    record.state = 'closed';
    record.dataChannelOpen = false;
    this.#session.cancel('client_cancelled');
    this.#output.close();
    this.#decoder.delete();
    this.#pending = [];
    void this.peer.pc.close();
    for (const socket of this.#sidebands) socket.close(1000, 'call ended');
    this.deps.onEnded();
  }
}

function typeOf(bytes: Buffer): string {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as { type?: unknown };
    return typeof value.type === 'string' ? value.type.slice(0, 64) : '(no type)';
  } catch {
    return '(invalid json)';
  }
}

function count(counts: Record<string, number>, type: string): void {
  if (counts[type] !== undefined) counts[type] += 1;
  else if (Object.keys(counts).length < MAX_EVENT_TYPES) counts[type] = 1;
}
