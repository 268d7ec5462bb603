/**
 * A streaming polyphase resampler for 16-bit mono PCM between rates with a small rational ratio
 * (24 kHz → 16 kHz for GLM's input: up 2, down 3; 16 kHz → 24 kHz: up 3, down 2).
 *
 * Conceptually: insert L−1 zeros between samples, low-pass below the lower Nyquist frequency with
 * a windowed-sinc FIR, keep every M-th sample. Polyphase form computes only the kept outputs,
 * each from `tapsPerPhase` input samples. The filter history and the fractional output position
 * carry over between `process` calls, so a stream cut into frames of any size resamples exactly
 * as one long buffer would: no clicks at frame borders.
 */
export class PcmResampler {
  readonly up: number;
  readonly down: number;
  readonly #taps: number;
  /** `#phases[p][j]`: coefficient for input sample i−j at output phase p. */
  readonly #phases: Float32Array[];
  /** The last `taps − 1` input samples of the previous frame (zeros at the start). */
  #history: Float32Array;
  /** Position of the next output in upsampled samples, relative to the current frame's first sample. */
  #next = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
    tapsPerPhase = 24,
  ) {
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
    if (this.up > 64 || this.down > 64) throw new Error(`unsupported rate ratio ${fromRate}:${toRate}`);
    this.#taps = tapsPerPhase;
    const length = tapsPerPhase * this.up;
    // Cut-off at 90 % of the lower Nyquist frequency, as a fraction of the upsampled rate.
    const cutoff = (0.9 * Math.min(fromRate, toRate)) / 2 / (fromRate * this.up);
    const h = new Float64Array(length);
    const mid = (length - 1) / 2;
    let sum = 0;
    for (let n = 0; n < length; n++) {
      const x = n - mid;
      const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
      // Blackman window: about 74 dB stop-band, enough for 16-bit speech.
      const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * n) / (length - 1)) + 0.08 * Math.cos((4 * Math.PI * n) / (length - 1));
      h[n] = sinc * w;
      sum += h[n] as number;
    }
    // Gain `up` makes up for the inserted zeros, so each phase sums to about 1.
    const gain = this.up / sum;
    this.#phases = Array.from({ length: this.up }, (_, p) => {
      const phase = new Float32Array(tapsPerPhase);
      for (let j = 0; j < tapsPerPhase; j++) phase[j] = (h[p + j * this.up] as number) * gain;
      return phase;
    });
    this.#history = new Float32Array(tapsPerPhase - 1);
  }

  /** Samples of delay the filter adds (at the input rate): about half its length. */
  get delaySamples(): number {
    return (this.#taps * this.up - 1) / 2 / this.up;
  }

  /**
   * Starts a new stream: the previous one's last samples must not bleed into the next one's first
   * (after `input_audio_buffer.clear`, the cleared audio would otherwise reach the next utterance).
   */
  reset(): void {
    this.#history.fill(0);
    this.#next = 0;
  }

  /** Resamples one frame; the output length varies by one sample from frame to frame. */
  process(input: Int16Array): Int16Array {
    const keep = this.#taps - 1;
    const buffer = new Float32Array(keep + input.length);
    buffer.set(this.#history, 0);
    for (let i = 0; i < input.length; i++) buffer[keep + i] = input[i] as number;
    const end = input.length * this.up;
    const count = this.#next < end ? Math.ceil((end - this.#next) / this.down) : 0;
    const output = new Int16Array(count);
    let t = this.#next;
    for (let k = 0; k < count; k++, t += this.down) {
      const i = Math.floor(t / this.up);
      const coefficients = this.#phases[t - i * this.up] as Float32Array;
      let acc = 0;
      // buffer index of input sample i−j is i−j+keep.
      for (let j = 0, b = i + keep; j < coefficients.length; j++, b--) acc += (coefficients[j] as number) * (buffer[b] as number);
      output[k] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
    }
    this.#next = t - end;
    this.#history = buffer.slice(buffer.length - keep);
    return output;
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Little-endian PCM16 bytes as samples (copying when the bytes are not 2-aligned). */
export function pcm16FromBytes(bytes: Buffer): Int16Array {
  const even = bytes.length - (bytes.length % 2);
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, even / 2);
  const copy = new Uint8Array(even);
  copy.set(bytes.subarray(0, even));
  return new Int16Array(copy.buffer);
}

/** Samples as little-endian PCM16 bytes (a view, no copy). */
export function bytesFromPcm16(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}
