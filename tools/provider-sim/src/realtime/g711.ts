// G.711 encoders for OpenAI's `audio/pcmu` and `audio/pcma` output formats (8 kHz, 1 byte a sample).

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

function muLaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(sample), MULAW_CLIP) + MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent -= 1;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  magnitude = ~(sign | (exponent << 4) | mantissa);
  return magnitude & 0xff;
}

function aLaw(sample: number): number {
  const sign = sample >= 0 ? 0x80 : 0;
  const magnitude = Math.min(Math.abs(sample), 32767) >> 3;
  let encoded: number;
  if (magnitude < 32) encoded = magnitude >> 1;
  else {
    let exponent = 1;
    while (magnitude >> (exponent + 4) > 0 && exponent < 7) exponent += 1;
    encoded = (exponent << 4) | ((magnitude >> exponent) & 0x0f);
  }
  return (encoded | sign) ^ 0x55;
}

/** Encodes PCM16 mono samples as G.711 μ-law (`pcmu`) or A-law (`pcma`). */
export function encodeG711(pcm: Buffer, law: 'pcmu' | 'pcma'): Buffer {
  const out = Buffer.alloc(pcm.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const sample = pcm.readInt16LE(i * 2);
    out[i] = law === 'pcmu' ? muLaw(sample) : aLaw(sample);
  }
  return out;
}
