import { type AudioWorkletScope, CAPTURE_PROCESSOR, type CaptureCommand, type CaptureMessage, PCM_RATE_HZ, type WorkletProcessor } from './worklet-scope.js';

/**
 * Microphone → PCM16 24 kHz mono in 20 ms frames, off the main thread. When the context could not
 * run at 24 kHz (some browsers refuse to mix a microphone into a context of another rate) the
 * input is resampled here: a box filter over the samples each output sample spans (a cheap
 * low-pass that keeps 48 → 24 kHz free of aliasing) or linear interpolation when upsampling.
 */

const scope = globalThis as unknown as AudioWorkletScope;
/** 20 ms at 24 kHz: within the 20–40 ms the relay and providers handle best. */
const FRAME_SAMPLES = 480;

class CaptureProcessor extends scope.AudioWorkletProcessor implements WorkletProcessor {
  /** Input samples per output sample. */
  readonly #step = scope.sampleRate / PCM_RATE_HZ;
  /** Position of the next output sample, in input samples relative to the current block. */
  #position = 0;
  #previous = 0;
  #frame = new Int16Array(FRAME_SAMPLES);
  #filled = 0;
  #sumSquares = 0;
  #sending = true;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<CaptureCommand>) => this.#command(event.data);
  }

  #command(command: CaptureCommand): void {
    // Speech up to the switch belongs to the turn (a push-to-talk release commits once this is
    // answered): the part of a frame already captured goes out now instead of being dropped.
    if (this.#sending && !command.enabled && this.#filled > 0) this.#post();
    this.#sending = command.enabled;
    const sent: CaptureMessage = { type: 'sent', token: command.token };
    this.port.postMessage(sent);
  }

  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0]?.[0];
    // No input yet (the track is starting) or it ended: keep the node alive, produce nothing.
    if (!input) return true;
    const step = this.#step;
    if (step === 1) {
      for (let i = 0; i < input.length; i++) this.#emit(input[i] ?? 0);
      return true;
    }
    let position = this.#position;
    while (position < input.length) {
      let value: number;
      if (step > 1) {
        // Average the input samples this output sample covers.
        const from = Math.max(0, Math.ceil(position - step));
        const to = Math.floor(position);
        let sum = 0;
        let count = 0;
        for (let i = from; i <= to; i++) {
          sum += input[i] ?? 0;
          count++;
        }
        value = count > 0 ? sum / count : 0;
      } else {
        const index = Math.floor(position);
        const fraction = position - index;
        const before = index === 0 ? this.#previous : (input[index - 1] ?? 0);
        const after = input[index] ?? 0;
        value = before + (after - before) * fraction;
      }
      this.#emit(value);
      position += step;
    }
    this.#position = position - input.length;
    this.#previous = input[input.length - 1] ?? 0;
    return true;
  }

  #emit(sample: number): void {
    const clamped = Math.max(-1, Math.min(1, sample));
    this.#frame[this.#filled++] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    this.#sumSquares += clamped * clamped;
    if (this.#filled === FRAME_SAMPLES) this.#post();
  }

  /** Hands over the samples gathered so far (a whole frame, or the start of one). */
  #post(): void {
    const rms = Math.sqrt(this.#sumSquares / this.#filled);
    const pcm = this.#sending ? this.#frame.buffer.slice(0, this.#filled * 2) : undefined;
    const message: CaptureMessage = { type: 'frame', pcm, rms };
    this.port.postMessage(message, pcm ? [pcm] : []);
    this.#filled = 0;
    this.#sumSquares = 0;
  }
}

scope.registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
