/**
 * What an AudioWorkletGlobalScope offers, typed here because TypeScript's DOM library has no
 * audio-worklet flavour. Worklet modules reach these through `globalThis` cast to this type,
 * so the page's own code never sees a stray global `sampleRate` or `registerProcessor`.
 */
export interface WorkletProcessor {
  readonly port: MessagePort;
  process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: Record<string, Float32Array>): boolean;
}

export interface AudioWorkletScope {
  /** The context's rate, fixed for the worklet's life. */
  readonly sampleRate: number;
  readonly AudioWorkletProcessor: new () => { readonly port: MessagePort };
  registerProcessor(name: string, processor: new () => WorkletProcessor): void;
}

/** GA `audio/pcm`: 24 kHz mono PCM16, both ways. */
export const PCM_RATE_HZ = 24_000;

/** Names the worklet modules register and the page instantiates. */
export const CAPTURE_PROCESSOR = 'voxgate-capture';
export const PLAYBACK_PROCESSOR = 'voxgate-playback';

/**
 * Capture worklet → page. A frame's `pcm` is PCM16 little-endian at 24 kHz (absent while not
 * sending; shorter than 20 ms when sending stopped mid-frame). `sent` answers a `send` command
 * after every frame captured before it.
 */
export type CaptureMessage =
  | {
      type: 'frame';
      pcm: ArrayBuffer | undefined;
      /** RMS of the frame, 0..1, for the level meter. */
      rms: number;
    }
  | { type: 'sent'; token: number };

/** Page → capture worklet. */
export type CaptureCommand = { type: 'send'; enabled: boolean; token: number };

/** Page → playback worklet. */
export type PlaybackCommand = { type: 'push'; itemId: string; samples: Float32Array } | { type: 'clear'; token: number };

/** Playback worklet → page. Sample counts are at 24 kHz, the rate the audio arrived in. */
export type PlaybackReport =
  | { type: 'progress'; itemId: string | undefined; itemPlayedSamples: number; totalPlayedSamples: number; queuedSamples: number }
  | { type: 'cleared'; token: number; itemId: string | undefined; itemPlayedSamples: number; totalPlayedSamples: number }
  | { type: 'idle'; totalPlayedSamples: number };
