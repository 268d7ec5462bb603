import type { CallStatus } from './call.js';
import type { ClientEvent, RtpCounters, TransportName } from './transport.js';

/**
 * A read-only window onto the live call for browser tests and for anyone debugging in the console:
 * counters and the control events the page sent (never audio, never anything secret).
 */
export interface RealtimeProbe {
  readonly status: CallStatus;
  /** Model audio played so far, in 24 kHz samples. */
  readonly playedSamples: number;
  /** Microphone audio sent so far, in PCM16 bytes. */
  readonly audioBytesSent: number;
  /** The last control events sent (`input_audio_buffer.append` is not listed). */
  readonly sent: readonly Readonly<ClientEvent>[];
  /** How many server events of each type arrived (audio deltas included). */
  readonly received: Readonly<Record<string, number>>;
  readonly conversationId: string;
  /** The transport of the session in progress. */
  readonly transport: TransportName | undefined;
  /** The peer's RTP audio counters over WebRTC; undefined on the WebSocket relay. */
  rtp(): Promise<RtpCounters | undefined>;
}

declare global {
  interface Window {
    __voxgate?: { realtime?: RealtimeProbe };
  }
}

export function exposeProbe(probe: RealtimeProbe): () => void {
  window.__voxgate ??= {};
  const hook = window.__voxgate;
  hook.realtime = probe;
  return () => {
    if (hook.realtime === probe) delete hook.realtime;
  };
}
