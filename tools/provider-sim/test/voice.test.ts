import t from 'tap';
import { renderVoice, synthesizeVoice } from '../src/realtime/pcm.js';

// The voice is tiled from one cached vowel cycle; it must be the very audio the sample-by-sample
// synthesis makes, in the chunks speak() asks for, across the cycle's 1300 ms boundary.
t.test('the tiled voice is bit-identical to the synthesized one, chunk by chunk', async (t) => {
  for (const rateHz of [24_000, 8_000]) {
    const totalSamples = (rateHz * 3000) / 1000;
    const reference = renderVoice(0, totalSamples, rateHz);
    const chunkSamples = (rateHz * 40) / 1000;
    let mismatches = 0;
    for (let first = 0; first < totalSamples; first += chunkSamples) {
      const count = Math.min(chunkSamples, totalSamples - first);
      const chunk = synthesizeVoice(first, count, rateHz);
      if (chunk.length !== count * 2 || chunk.compare(reference, first * 2, (first + count) * 2) !== 0) mismatches += 1;
    }
    t.equal(mismatches, 0, `${rateHz} Hz: every 40 ms chunk matches`);
    // A read that spans the cycle's end (5 syllables of 260 ms) wraps to its start.
    const cycleEnd = (rateHz * 1300) / 1000;
    const across = synthesizeVoice(cycleEnd - 10, 20, rateHz);
    t.equal(across.compare(reference, (cycleEnd - 10) * 2, (cycleEnd + 10) * 2), 0, `${rateHz} Hz: a read across the cycle boundary`);
  }
});

t.test('a rate whose cycle is not whole samples is synthesized directly', async (t) => {
  const rateHz = 11_025;
  t.equal(synthesizeVoice(1000, 500, rateHz).compare(renderVoice(1000, 500, rateHz)), 0);
});
