import { parseWav } from '../../realtime/wav.js';
import { GLM_INPUT_FORMATS } from './config.js';

export type DecodedAudio = { ok: true; pcm: Buffer; rateHz: number } | { ok: false; message: string };

/** Turns an append payload into PCM16 by the session's input format, refusing what GLM refuses. */
export function decodeGlmAudio(bytes: Buffer, inputFormat: string): DecodedAudio {
  const format = GLM_INPUT_FORMATS[inputFormat] ?? GLM_INPUT_FORMATS.wav;
  if (format === undefined) return { ok: false, message: 'unknown input format' };
  const isRiff = bytes.length >= 4 && bytes.toString('latin1', 0, 4) === 'RIFF';
  if (format.container === 'raw') {
    if (isRiff) return { ok: false, message: `audio is a WAV file but input_audio_format is ${inputFormat} (raw PCM)` };
    if (bytes.length % 2 !== 0) return { ok: false, message: 'pcm16 audio must be whole 16-bit samples' };
    return { ok: true, pcm: bytes, rateHz: format.rateHz };
  }
  const wav = parseWav(bytes);
  if (wav === undefined) return { ok: false, message: `audio must be a base64 WAV file for input_audio_format ${inputFormat}` };
  if (wav.audioFormat !== 1 || wav.bitsPerSample !== 16 || wav.channels !== 1) {
    return { ok: false, message: `WAV must be 16-bit PCM mono; got format ${wav.audioFormat}, ${wav.bitsPerSample}-bit, ${wav.channels} channels` };
  }
  if (wav.sampleRateHz !== format.rateHz) {
    return { ok: false, message: `WAV sample rate ${wav.sampleRateHz} Hz does not match input_audio_format ${inputFormat} (${format.rateHz} Hz)` };
  }
  return { ok: true, pcm: wav.data, rateHz: wav.sampleRateHz };
}
