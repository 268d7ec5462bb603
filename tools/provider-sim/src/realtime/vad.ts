import { pcm16BytesPerMs, pcm16Rms } from './pcm.js';

/** The server_vad knobs both providers expose (GLM fixes them; OpenAI lets clients set them). */
export interface VadSettings {
  /** 0..1; higher needs louder audio. Mapped to a level in dBFS, see `thresholdDbfs`. */
  threshold: number;
  prefixPaddingMs: number;
  silenceDurationMs: number;
}

export type VadEvent = { kind: 'speech_started'; audioStartMs: number } | { kind: 'speech_stopped'; audioEndMs: number };

const FRAME_MS = 10;

/**
 * The level a 10 ms frame must exceed to count as voiced: threshold 0.5 → -40 dBFS, 0 → -70,
 * 1 → -10. Quiet room noise sits near -60 dBFS and speech near -25, so the default separates them.
 */
export function thresholdDbfs(threshold: number): number {
  return -70 + 60 * threshold;
}

/**
 * Energy-based voice activity detection over a continuous PCM16 stream. Times are milliseconds of
 * audio received since the session began, as OpenAI reports them, never wall-clock time.
 */
export class EnergyVad {
  readonly #frameBytes: number;
  #carry = Buffer.alloc(0);
  #processedMs = 0;
  #speaking = false;
  #lastVoicedEndMs = 0;

  constructor(
    readonly settings: VadSettings,
    rateHz: number,
  ) {
    this.#frameBytes = pcm16BytesPerMs(rateHz) * FRAME_MS;
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  /** Feeds audio; returns the transitions it caused, in order. */
  push(pcm: Buffer): VadEvent[] {
    const events: VadEvent[] = [];
    const audio = this.#carry.length === 0 ? pcm : Buffer.concat([this.#carry, pcm]);
    const limit = thresholdDbfs(this.settings.threshold);
    let offset = 0;
    for (; offset + this.#frameBytes <= audio.length; offset += this.#frameBytes) {
      const rms = pcm16Rms(audio, offset, offset + this.#frameBytes);
      const voiced = rms > 0 && 20 * Math.log10(rms) > limit;
      const frameStartMs = this.#processedMs;
      this.#processedMs += FRAME_MS;
      if (voiced) {
        if (!this.#speaking) {
          this.#speaking = true;
          events.push({ kind: 'speech_started', audioStartMs: Math.max(0, frameStartMs - this.settings.prefixPaddingMs) });
        }
        this.#lastVoicedEndMs = this.#processedMs;
      } else if (this.#speaking && this.#processedMs - this.#lastVoicedEndMs >= this.settings.silenceDurationMs) {
        this.#speaking = false;
        events.push({ kind: 'speech_stopped', audioEndMs: this.#processedMs });
      }
    }
    // Keep only the unfinished frame: memory stays bounded whatever the client sends.
    this.#carry = Buffer.from(audio.subarray(offset));
    return events;
  }

  /** Forgets a speech in progress (the buffer was cleared or committed by hand). */
  reset(): void {
    this.#speaking = false;
  }
}
