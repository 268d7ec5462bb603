import { hangUpCall, hangUpCallBeacon, postCallOffer, signallingFailure } from './calls-api.js';
import { createRemoteVoice } from './remote-voice.js';
import type { SessionSettings } from './session.js';
import type { Phrase } from './transcript.js';
import { parseServerEvent, type ClientEvent, type EventTransport, type MediaLink, type RtpCounters, type TransportFactory, type TransportHandlers } from './transport.js';

/**
 * The WebRTC transport: an RTCPeerConnection carrying the microphone out and the model's voice back
 * as Opus over RTP, and the GA events as JSON on the `oai-events` data channel. The gateway does
 * the SDP exchange with the server's key (see calls-api.ts).
 */

/** The data channel's name, as OpenAI's WebRTC endpoint expects it. */
export const EVENTS_CHANNEL = 'oai-events';
/**
 * From the offer to an open data channel. Over loopback or a LAN this takes well under a second;
 * a network that lets only HTTP out (WebRTC media cannot go through an HTTP proxy) never gets there.
 */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How long a `disconnected` peer may take to heal (ICE often recovers by itself) before it counts as lost. */
export const DISCONNECTED_GRACE_MS = 5_000;

/** Close codes, in the WebSocket code space the call logic reads (`close.code`). */
export const WEBRTC_CLOSE = {
  hangUp: 1000,
  /** Failed or lost after it had worked (or a `disconnected` that did not heal). */
  lost: 1006,
  /** Never connected within CONNECT_TIMEOUT_MS. */
  connectTimeout: 4408,
  /** The gateway refused the offer: 4000 + its HTTP status (4503 service unavailable…). */
  signallingBase: 4000,
} as const;

export interface WebRtcTarget {
  model: string;
  /** Stored transcripts go to this conversation (the gateway hands it to the sideband). */
  conversationId: string;
  /** Voice and turn taking for the provider's session config in the offer. */
  settings(): SessionSettings;
  /** The microphone, if it is open yet; `MediaLink.setMicrophone` hands it over later otherwise. */
  microphone(): MediaStreamTrack | undefined;
  connectTimeoutMs?: number;
}

export function webRtcTransport(target: WebRtcTarget): TransportFactory {
  return (handlers: TransportHandlers): EventTransport => {
    const pc = new RTCPeerConnection();
    const channel = pc.createDataChannel(EVENTS_CHANNEL);
    // A transceiver, not addTrack: the offer can go out before the microphone is open, and the
    // track is swapped in later without renegotiating.
    const audio = pc.addTransceiver('audio', { direction: 'sendrecv' });
    const voice = createRemoteVoice();
    const abort = new AbortController();
    let outgoing: MediaStreamTrack | undefined;
    let sending = false;
    let callId: string | undefined;
    let beaconed = false;
    let opened = false;
    let done = false;
    let connectTimer: ReturnType<typeof setTimeout> | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;

    const onPageHide = () => {
      if (callId && !beaconed) beaconed = hangUpCallBeacon(callId);
      finish(WEBRTC_CLOSE.hangUp, 'page closed');
    };

    const finish = (code: number, reason: string | Phrase) => {
      if (done) return;
      done = true;
      clearTimeout(connectTimer);
      clearTimeout(graceTimer);
      abort.abort();
      window.removeEventListener('pagehide', onPageHide);
      channel.close();
      pc.close();
      voice.close();
      outgoing?.stop();
      // Closing the peer does not end the provider's call at once; the hang-up does.
      if (callId && !beaconed) hangUpCall(callId);
      handlers.closed({ code, reason, opened });
    };

    const setMicrophone = (track: MediaStreamTrack | undefined) => {
      if (done) return;
      outgoing?.stop();
      // A clone of our own: muting it (track.enabled) must not silence the page's level meter.
      outgoing = track?.clone();
      if (outgoing) outgoing.enabled = sending;
      void audio.sender.replaceTrack(outgoing ?? null).catch(() => undefined);
    };
    setMicrophone(target.microphone());

    pc.addEventListener('track', (event: RTCTrackEvent) => {
      voice.attach(event.streams[0] ?? new MediaStream([event.track]));
    });

    pc.addEventListener('connectionstatechange', () => {
      switch (pc.connectionState) {
        case 'connected':
          if (graceTimer !== undefined) {
            clearTimeout(graceTimer);
            graceTimer = undefined;
            handlers.link?.('restored');
          }
          break;
        case 'disconnected':
          // Brief outages (a Wi-Fi hand-over, a sleeping laptop's NIC) often heal: keep the call.
          if (!opened || graceTimer !== undefined) break;
          handlers.link?.('unstable');
          graceTimer = setTimeout(() => finish(WEBRTC_CLOSE.lost, { key: 'rt.reason.disconnected' }), DISCONNECTED_GRACE_MS);
          break;
        case 'failed':
          finish(opened ? WEBRTC_CLOSE.lost : WEBRTC_CLOSE.connectTimeout, { key: 'rt.reason.iceFailed' });
          break;
        case 'closed':
          finish(WEBRTC_CLOSE.lost, { key: 'rt.reason.closed' });
          break;
        default:
          break;
      }
    });

    channel.addEventListener('open', () => {
      if (done) return;
      opened = true;
      clearTimeout(connectTimer);
      handlers.open();
    });
    channel.addEventListener('message', (message: MessageEvent) => {
      const event = parseServerEvent(message.data);
      if (event) handlers.event(event);
    });
    channel.addEventListener('close', () => finish(WEBRTC_CLOSE.lost, { key: 'rt.reason.channelClosed' }));

    connectTimer = setTimeout(() => finish(WEBRTC_CLOSE.connectTimeout, { key: 'rt.reason.connectTimeout' }), target.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    window.addEventListener('pagehide', onPageHide);

    const negotiate = async () => {
      // The offer goes out at once, without waiting for ICE gathering (as OpenAI's own clients do):
      // the browser's host candidates are mDNS names a server cannot resolve anyway, and the
      // provider learns the browser's address from its connectivity checks (peer-reflexive).
      await pc.setLocalDescription(await pc.createOffer());
      const offer = pc.localDescription?.sdp;
      if (!offer || done) return;
      const settings = target.settings();
      let answer: Awaited<ReturnType<typeof postCallOffer>>;
      try {
        answer = await postCallOffer(
          {
            model: target.model,
            sdp: offer,
            ...(settings.voice ? { voice: settings.voice } : {}),
            turnDetection: settings.mode === 'vad' ? 'server_vad' : 'none',
            transcription: true,
            conversationId: target.conversationId,
          },
          abort.signal,
        );
      } catch (error) {
        if (done) return;
        const failure = signallingFailure(error);
        finish(WEBRTC_CLOSE.signallingBase + failure.status, failure.reason);
        return;
      }
      if (done) {
        // Hung up while the offer was on its way: the provider's call exists now, end it.
        hangUpCall(answer.callId);
        return;
      }
      callId = answer.callId;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    };
    negotiate().catch((error: unknown) => {
      finish(WEBRTC_CLOSE.signallingBase + 502, `invalid_sdp: ${error instanceof Error ? error.message : String(error)}`);
    });

    const media: MediaLink = {
      voice,
      setMicrophone,
      setSending(enabled) {
        sending = enabled;
        if (outgoing) outgoing.enabled = enabled;
      },
      async rtp() {
        const counters: RtpCounters = { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 };
        if (done) return counters;
        const report = await pc.getStats();
        report.forEach((stat: { type: string; kind?: string; packetsSent?: number; bytesSent?: number; packetsReceived?: number; bytesReceived?: number }) => {
          if (stat.kind !== 'audio') return;
          if (stat.type === 'outbound-rtp') {
            counters.packetsSent += stat.packetsSent ?? 0;
            counters.bytesSent += stat.bytesSent ?? 0;
          } else if (stat.type === 'inbound-rtp') {
            counters.packetsReceived += stat.packetsReceived ?? 0;
            counters.bytesReceived += stat.bytesReceived ?? 0;
          }
        });
        return counters;
      },
    };

    return {
      name: 'webrtc',
      media,
      send(event: ClientEvent) {
        if (channel.readyState !== 'open') return false;
        channel.send(JSON.stringify(event));
        return true;
      },
      get bufferedBytes() {
        return channel.bufferedAmount;
      },
      close() {
        finish(WEBRTC_CLOSE.hangUp, 'hang up');
      },
    };
  };
}
