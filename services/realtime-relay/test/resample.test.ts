import t from 'tap';
import { PcmResampler } from '../src/audio/resample.js';

function sine(frequencyHz: number, rate: number, samples: number, amplitude = 10_000): Int16Array {
  return Int16Array.from({ length: samples }, (_, n) => Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * n) / rate)));
}

/** The frequency of a clean sine by counting upward zero crossings. */
function frequencyOf(samples: Int16Array, rate: number): number {
  let crossings = 0;
  let first = -1;
  let last = -1;
  for (let i = 1; i < samples.length; i++) {
    if ((samples[i - 1] as number) < 0 && (samples[i] as number) >= 0) {
      crossings++;
      if (first < 0) first = i;
      last = i;
    }
  }
  return ((crossings - 1) * rate) / (last - first);
}

function resampleInFrames(resampler: PcmResampler, input: Int16Array, frame: number): Int16Array {
  const parts: Int16Array[] = [];
  for (let i = 0; i < input.length; i += frame) parts.push(resampler.process(input.subarray(i, i + frame)));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

for (const [from, to] of [
  [24_000, 16_000],
  [16_000, 24_000],
]) {
  t.test(`${from} → ${to} Hz keeps the frequency and the stream continuous`, async (t) => {
    const input = sine(440, from as number, from as number);
    const whole = new PcmResampler(from as number, to as number).process(input);
    t.ok(Math.abs(whole.length - (to as number)) <= 1, `one second stays one second (${whole.length})`);
    t.ok(Math.abs(frequencyOf(whole.subarray(100), to as number) - 440) < 1, '440 Hz stays 440 Hz');
    // Odd frame sizes: borders fall at every phase of the filter.
    const framed = resampleInFrames(new PcmResampler(from as number, to as number), input, 479);
    t.equal(framed.length, whole.length, 'framing does not change the length');
    let maxDiff = 0;
    for (let i = 0; i < whole.length; i++) maxDiff = Math.max(maxDiff, Math.abs((whole[i] as number) - (framed[i] as number)));
    t.ok(maxDiff <= 1, `frames join without clicks: same output as one buffer (max diff ${maxDiff})`);
    // The largest step between neighbours stays that of a 440 Hz sine (no discontinuity).
    let maxStep = 0;
    for (let i = 101; i < framed.length; i++) maxStep = Math.max(maxStep, Math.abs((framed[i] as number) - (framed[i - 1] as number)));
    t.ok(maxStep < (10_000 * 2 * Math.PI * 440) / (to as number) * 1.05, `no step larger than the sine's own (${maxStep})`);
  });
}

t.test('24 → 16 kHz removes what 16 kHz cannot carry (no aliasing)', async (t) => {
  const out = new PcmResampler(24_000, 16_000).process(sine(10_000, 24_000, 24_000));
  const rms = Math.sqrt(out.subarray(200).reduce((s, v) => s + v * v, 0) / (out.length - 200));
  t.ok(rms < 100, `a 10 kHz tone is filtered out (rms ${rms.toFixed(1)} of 7071)`);
});

t.test('reset() forgets the filter history and the output phase: the next stream starts as a fresh one', async (t) => {
  const fresh = new PcmResampler(24_000, 16_000).process(sine(440, 24_000, 4_800));
  const reused = new PcmResampler(24_000, 16_000);
  // 1001 samples leave the output position mid-cycle and the history full of a loud tone.
  reused.process(sine(1_000, 24_000, 1_001, 30_000));
  reused.reset();
  t.same(Array.from(reused.process(sine(440, 24_000, 4_800))), Array.from(fresh), 'same samples as a new resampler');
});
