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

/**
 * PCM16 mono speech-like audio from sample `firstSample` (counted from the start of the answer) for
 * `count` samples, so consecutive chunks join without clicks.
 */
export function synthesizeVoice(firstSample: number, count: number, rateHz: number): Buffer {
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
