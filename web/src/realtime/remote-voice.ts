import { PCM_RATE_HZ } from './worklet-scope.js';
import type { StoppedAt } from './playback.js';
import type { RemoteVoice } from './transport.js';

/**
 * The model's voice over WebRTC: the remote track plays through an `<audio>` element (Chromium
 * plays remote WebRTC audio routed only into Web Audio silently unless a media element also holds
 * it, so the element is the sink). No audio passes through the page's code, so "what is playing"
 * comes from the provider's `output_audio_buffer.started/stopped` events, timed here.
 */
export interface RemoteVoicePlayer extends RemoteVoice {
  /** The remote stream arrived (`ontrack`). */
  attach(stream: MediaStream): void;
  close(): void;
}

export function createRemoteVoice(): RemoteVoicePlayer {
  const audio = new Audio();
  audio.autoplay = true;
  let itemId: string | undefined;
  let since: number | undefined;
  /** Time heard in earlier stretches, in 24 kHz samples: the probe's `playedSamples`, as for the worklet. */
  let doneSamples = 0;
  let retry: (() => void) | undefined;

  const elapsedSamples = () => (since === undefined ? 0 : Math.round(((performance.now() - since) / 1000) * PCM_RATE_HZ));
  const finish = (): StoppedAt | undefined => {
    if (since === undefined) return undefined;
    const played = elapsedSamples();
    doneSamples += played;
    since = undefined;
    const stopped = itemId ? { itemId, playedSamples: played } : undefined;
    itemId = undefined;
    return stopped;
  };

  // Autoplay may be refused after a reload without a click: the next touch or key starts it.
  const play = () => {
    audio.play().catch(() => {
      if (retry) return;
      retry = () => {
        removeRetry();
        play();
      };
      window.addEventListener('pointerdown', retry);
      window.addEventListener('keydown', retry);
    });
  };
  const removeRetry = () => {
    if (!retry) return;
    window.removeEventListener('pointerdown', retry);
    window.removeEventListener('keydown', retry);
    retry = undefined;
  };

  return {
    attach(stream) {
      audio.srcObject = stream;
      play();
    },
    started(id) {
      finish();
      itemId = id;
      since = performance.now();
      // A barge-in muted the element at once; the next answer is heard again.
      audio.muted = false;
    },
    ended() {
      finish();
    },
    push() {
      // Never called: over WebRTC the voice is media, not `response.output_audio.delta`.
    },
    stop() {
      // Silence now: the server's clear takes a round trip, and what is still in flight would play.
      audio.muted = true;
      return Promise.resolve(finish());
    },
    get playing() {
      return since !== undefined;
    },
    get currentItemId() {
      return since !== undefined ? itemId : undefined;
    },
    get totalPlayedSamples() {
      return doneSamples + elapsedSamples();
    },
    close() {
      removeRetry();
      finish();
      audio.pause();
      audio.srcObject = null;
    },
  };
}
