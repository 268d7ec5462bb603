import { tokenize } from '../tokens.js';
import { type RealtimePace, waitUntil } from './pace.js';
import { pcm16BytesPerMs, synthesizeVoice } from './pcm.js';

/** Spoken length per character of answer text: about 18 characters a second, a calm speaking rate. */
const MS_PER_CHAR = 55;
const MIN_SPEECH_MS = 400;
const MAX_SPEECH_MS = 12_000;

export interface SpeechOptions {
  rateHz: number;
  /** Audio per chunk; the providers send 20-100 ms per delta. */
  chunkMs: number;
  pace: RealtimePace;
  /** Aborting stops the speech after the chunk in flight. */
  signal: AbortSignal;
}

/** One piece of the answer: audio and the transcript text spoken in it (may be empty). */
export interface SpeechChunk {
  pcm: Buffer;
  text: string;
  /** Audio sent so far, this chunk included. */
  endMs: number;
}

/** How long the simulated voice takes to say `text`. */
export function speechDurationMs(text: string): number {
  return Math.min(MAX_SPEECH_MS, Math.max(MIN_SPEECH_MS, text.length * MS_PER_CHAR));
}

/**
 * Speaks `text`: synthesized PCM16 chunks with the transcript spread over them in proportion, so
 * the transcript deltas arrive interleaved with the audio they belong to, as the providers send them.
 */
export async function* speak(text: string, options: SpeechOptions): AsyncGenerator<SpeechChunk> {
  const totalMs = speechDurationMs(text);
  const chunks = Math.ceil(totalMs / options.chunkMs);
  const tokens = tokenize(text);
  const samplesPerChunk = (pcm16BytesPerMs(options.rateHz) * options.chunkMs) / 2;
  const totalSamples = Math.round((totalMs * options.rateHz) / 1000);
  const startedAt = performance.now();
  for (let i = 0; i < chunks; i++) {
    if (!(await waitUntil(startedAt + i * options.chunkMs, options.pace, options.signal))) return;
    const first = i * samplesPerChunk;
    const count = Math.min(samplesPerChunk, totalSamples - first);
    const textDelta = tokens.slice(Math.floor((i * tokens.length) / chunks), Math.floor(((i + 1) * tokens.length) / chunks)).join('');
    yield { pcm: synthesizeVoice(first, count, options.rateHz), text: textDelta, endMs: ((first + count) * 1000) / options.rateHz };
  }
}
