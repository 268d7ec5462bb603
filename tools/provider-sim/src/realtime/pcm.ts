/** Little-endian signed 16-bit mono PCM, the sample format both realtime providers speak. */
export const PCM16_BYTES_PER_SAMPLE = 2;

/** Bytes of PCM16 mono audio per millisecond at `rateHz`. */
export function pcm16BytesPerMs(rateHz: number): number {
  return (rateHz * PCM16_BYTES_PER_SAMPLE) / 1000;
}

/** Duration of `bytes` of PCM16 mono audio at `rateHz`. */
export function pcm16DurationMs(bytes: number, rateHz: number): number {
  return bytes / pcm16BytesPerMs(rateHz);
}

/** Root-mean-square level of PCM16 samples, 0 (silence) to 1 (full scale). */
export function pcm16Rms(pcm: Buffer, start = 0, end = pcm.length): number {
  const last = Math.min(end, pcm.length) - 1;
  let sum = 0;
  let count = 0;
  for (let offset = start; offset < last; offset += PCM16_BYTES_PER_SAMPLE) {
    const sample = pcm.readInt16LE(offset) / 32768;
    sum += sample * sample;
    count += 1;
  }
  return count === 0 ? 0 : Math.sqrt(sum / count);
}

// A voice-like sound: a 140 Hz glottal tone whose harmonics are shaped by the formants of a vowel,
// in syllables of 200 ms voiced + 60 ms pause. Real speech it is not, but meters move, VADs trigger
// and a listener hears something that plainly talks rather than a flat test tone.
const FUNDAMENTAL_HZ = 140;
const HARMONICS = 24;
const SYLLABLE_MS = 260;
const VOICED_MS = 200;
const AMPLITUDE = 0.25;
/** First two formants (Hz) of the vowels the syllables cycle through: a, i, u, e, o. */
const VOWELS: readonly (readonly [number, number])[] = [
  [800, 1200],
  [300, 2300],
  [350, 800],
  [450, 1900],
  [500, 900],
];

/** The vowel cycle's length: the voice repeats exactly after it (below). */
const CYCLE_MS = SYLLABLE_MS * VOWELS.length;
/** Rates whose cycle is kept: the providers use 24 kHz and 8 kHz, so this never evicts in practice. */
const MAX_CACHED_RATES = 4;
/** One vowel cycle per rate, most recently used last; 1.3 s of PCM16, 62 KB at 24 kHz. */
const cycles = new Map<number, Buffer>();

/**
 * PCM16 mono speech-like audio from sample `firstSample` (counted from the start of the answer) for
 * `count` samples, so consecutive chunks join without clicks.
 *
 * Synthesis costs ~25 ms of CPU per second of audio (24 harmonics a sample), which made it most of
 * the simulator's CPU under realtime load. The voice depends only on the sample index and the rate,
 * and it is periodic: after the 5 syllables' 1300 ms the vowel comes round again and every harmonic
 * of 140 Hz has made a whole number of cycles (182 of the fundamental). So one cycle is synthesized
 * per rate and tiled, and a session's cost is copying. A rate whose cycle is not a whole number of
 * samples is synthesized sample by sample as before.
 */
export function synthesizeVoice(firstSample: number, count: number, rateHz: number): Buffer {
  const cycle = voiceCycle(rateHz);
  if (cycle === undefined) return renderVoice(firstSample, count, rateHz);
  const cycleSamples = cycle.length / PCM16_BYTES_PER_SAMPLE;
  const pcm = Buffer.alloc(count * PCM16_BYTES_PER_SAMPLE);
  let written = 0;
  let at = ((firstSample % cycleSamples) + cycleSamples) % cycleSamples;
  while (written < count) {
    const run = Math.min(count - written, cycleSamples - at);
    cycle.copy(pcm, written * PCM16_BYTES_PER_SAMPLE, at * PCM16_BYTES_PER_SAMPLE, (at + run) * PCM16_BYTES_PER_SAMPLE);
    written += run;
    at = 0;
  }
  return pcm;
}

/** The cached cycle for `rateHz`, built on first use; undefined when the voice does not tile at that rate. */
function voiceCycle(rateHz: number): Buffer | undefined {
  const cached = cycles.get(rateHz);
  if (cached !== undefined) {
    cycles.delete(rateHz);
    cycles.set(rateHz, cached);
    return cached;
  }
  const cycleSamples = (rateHz * CYCLE_MS) / 1000;
  if (!Number.isInteger(cycleSamples) || !Number.isInteger((FUNDAMENTAL_HZ * CYCLE_MS) / 1000)) return undefined;
  const cycle = renderVoice(0, cycleSamples, rateHz);
  cycles.set(rateHz, cycle);
  for (const rate of cycles.keys()) {
    if (cycles.size <= MAX_CACHED_RATES) break;
    cycles.delete(rate);
  }
  return cycle;
}

/** The voice computed sample by sample: the reference the cached cycles are cut from. */
export function renderVoice(firstSample: number, count: number, rateHz: number): Buffer {
  const pcm = Buffer.alloc(count * PCM16_BYTES_PER_SAMPLE);
  const samplesPerMs = rateHz / 1000;
  for (let i = 0; i < count; i++) {
    const n = firstSample + i;
    const msInSyllable = (n / samplesPerMs) % SYLLABLE_MS;
    if (msInSyllable >= VOICED_MS) continue;
    const syllable = Math.floor(n / samplesPerMs / SYLLABLE_MS);
    const [f1, f2] = VOWELS[syllable % VOWELS.length] ?? [500, 1500];
    // Raised-cosine envelope: no clicks at syllable edges.
    const envelope = 0.5 - 0.5 * Math.cos((2 * Math.PI * msInSyllable) / VOICED_MS);
    const t = n / rateHz;
    let value = 0;
    for (let h = 1; h <= HARMONICS; h++) {
      const hz = FUNDAMENTAL_HZ * h;
      if (hz >= rateHz / 2) break;
      const weight = formantGain(hz, f1) + 0.6 * formantGain(hz, f2) + 0.05;
      value += (weight / h) * Math.sin(2 * Math.PI * hz * t);
    }
    pcm.writeInt16LE(Math.round(Math.max(-1, Math.min(1, value * AMPLITUDE * envelope)) * 32767), i * PCM16_BYTES_PER_SAMPLE);
  }
  return pcm;
}

function formantGain(hz: number, formantHz: number): number {
  const distance = (hz - formantHz) / 150;
  return Math.exp(-distance * distance);
}
