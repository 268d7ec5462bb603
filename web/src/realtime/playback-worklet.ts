import { type AudioWorkletScope, PCM_RATE_HZ, PLAYBACK_PROCESSOR, type PlaybackCommand, type PlaybackReport, type WorkletProcessor } from './worklet-scope.js';

/**
 * The model's voice: a queue of 24 kHz chunks played back to back, so consecutive deltas join
 * without gaps, resampled by linear interpolation when the context runs at another rate. It counts
 * the samples actually played per item, which is what `conversation.item.truncate` must report
 * when the user interrupts, and it can drop everything queued at once.
 */

const scope = globalThis as unknown as AudioWorkletScope;
/** How often the page hears how far playback got (in output render quanta of 128 frames). */
const REPORT_EVERY_QUANTA = 8;

interface Chunk {
  itemId: string;
  samples: Float32Array;
}

class PlaybackProcessor extends scope.AudioWorkletProcessor implements WorkletProcessor {
  readonly #step = PCM_RATE_HZ / scope.sampleRate;
  #queue: Chunk[] = [];
  /** Read position inside the first chunk, in 24 kHz samples (fractional when resampling). */
  #position = 0;
  #queuedSamples = 0;
  #itemId: string | undefined;
  #itemPlayed = 0;
  #totalPlayed = 0;
  #quanta = 0;
  #wasPlaying = false;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<PlaybackCommand>) => this.#command(event.data);
  }

  #command(command: PlaybackCommand): void {
    if (command.type === 'push') {
      this.#queue.push({ itemId: command.itemId, samples: command.samples });
      this.#queuedSamples += command.samples.length;
      return;
    }
    this.#queue = [];
    this.#queuedSamples = 0;
    this.#position = 0;
    this.#report({ type: 'cleared', token: command.token, itemId: this.#itemId, itemPlayedSamples: Math.floor(this.#itemPlayed), totalPlayedSamples: Math.floor(this.#totalPlayed) });
  }

  #report(report: PlaybackReport): void {
    this.port.postMessage(report);
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const output = outputs[0]?.[0];
    if (!output) return true;
    let written = 0;
    while (written < output.length) {
      const chunk = this.#queue[0];
      if (!chunk) break;
      if (chunk.itemId !== this.#itemId) {
        this.#itemId = chunk.itemId;
        this.#itemPlayed = 0;
      }
      const index = Math.floor(this.#position);
      if (index >= chunk.samples.length) {
        this.#queue.shift();
        this.#queuedSamples -= chunk.samples.length;
        this.#position -= chunk.samples.length;
        continue;
      }
      const fraction = this.#position - index;
      const here = chunk.samples[index] ?? 0;
      // Interpolating across a chunk boundary reads the next chunk's first sample.
      const next = index + 1 < chunk.samples.length ? (chunk.samples[index + 1] ?? here) : (this.#queue[1]?.samples[0] ?? here);
      output[written++] = here + (next - here) * fraction;
      this.#position += this.#step;
      this.#itemPlayed += this.#step;
      this.#totalPlayed += this.#step;
    }
    // Whatever is not written stays silent (outputs start zeroed): an underrun is a pause, not noise.
    for (let channel = 1; channel < (outputs[0]?.length ?? 0); channel++) outputs[0]?.[channel]?.set(output);
    const playing = written > 0;
    if (++this.#quanta >= REPORT_EVERY_QUANTA || (this.#wasPlaying && !playing)) {
      this.#quanta = 0;
      if (playing || this.#wasPlaying) {
        this.#report({
          type: 'progress',
          itemId: this.#itemId,
          itemPlayedSamples: Math.floor(this.#itemPlayed),
          totalPlayedSamples: Math.floor(this.#totalPlayed),
          queuedSamples: Math.max(0, Math.round(this.#queuedSamples - this.#position)),
        });
      }
      if (this.#wasPlaying && !playing) this.#report({ type: 'idle', totalPlayedSamples: Math.floor(this.#totalPlayed) });
    }
    this.#wasPlaying = playing;
    return true;
  }
}

scope.registerProcessor(PLAYBACK_PROCESSOR, PlaybackProcessor);
