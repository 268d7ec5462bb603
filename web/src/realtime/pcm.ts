/** PCM16 little-endian ⇄ base64 ⇄ float samples, for the GA `audio/pcm` payloads. */

export function bytesToBase64(bytes: Uint8Array): string {
  // btoa takes a binary string; build it in slices so long frames do not overflow the call stack.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** PCM16 LE bytes → floats in -1..1 (an odd trailing byte is ignored). */
export function pcm16ToFloat(bytes: Uint8Array): Float32Array {
  const count = bytes.length >> 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) samples[i] = view.getInt16(i * 2, true) / 0x8000;
  return samples;
}

/** Milliseconds of 24 kHz audio in `samples` samples, rounded down as `audio_end_ms` must not overstate. */
export function samplesToMs(samples: number, rateHz = 24_000): number {
  return Math.floor((samples / rateHz) * 1000);
}
