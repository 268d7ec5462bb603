import { type AudioHeader, readAudioHeader } from './media/audio-info.js';
import { type ImageHeader, readImageHeader } from './media/image-size.js';

/**
 * One content part of a request, as the simulator understood it. This is what the request log
 * shows and what answers describe, the same for every provider. Raw bytes are never kept.
 */
export type PartSummary =
  | { role: string; type: 'text'; chars: number }
  | ({ role: string; type: 'image'; source: 'inline'; declaredMimeType?: string; bytes: number } & ImageHeader)
  | { role: string; type: 'image'; source: 'url'; host: string }
  | {
      role: string;
      type: 'audio';
      declaredFormat?: string;
      bytes: number;
      format?: AudioHeader['format'];
      durationMs?: number;
      sampleRateHz?: number;
    }
  | { role: string; type: 'other'; kind: string; bytes?: number };

/** A chat request reduced to what answers and the request log need, whatever the provider. */
export interface ConversationSummary {
  model: string;
  messages: number;
  /** The text of the last user turn, or undefined when it carried none. */
  lastUserText: string | undefined;
  parts: PartSummary[];
  /** Every text the model would read, system text included; usage counts tokens over these. */
  promptTexts: string[];
}

/** Decoded image bytes, or undefined when no image header we know can be read from them. */
export function inlineImage(
  role: string,
  bytes: Buffer,
  declaredMimeType: string | undefined,
): Extract<PartSummary, { type: 'image'; source: 'inline' }> | undefined {
  const header = readImageHeader(bytes);
  if (header === undefined) return undefined;
  const base = { role, type: 'image' as const, source: 'inline' as const, bytes: bytes.length, ...header };
  return declaredMimeType === undefined ? base : { ...base, declaredMimeType };
}

/** Audio bytes with whatever their header tells; unknown containers are still counted. */
export function inlineAudio(role: string, bytes: Buffer, declaredFormat: string | undefined): Extract<PartSummary, { type: 'audio' }> {
  const summary: Extract<PartSummary, { type: 'audio' }> = { role, type: 'audio', bytes: bytes.length };
  if (declaredFormat !== undefined) summary.declaredFormat = declaredFormat;
  const header = readAudioHeader(bytes);
  if (header?.format !== undefined) summary.format = header.format;
  if (header?.durationMs !== undefined) summary.durationMs = header.durationMs;
  if (header?.sampleRateHz !== undefined) summary.sampleRateHz = header.sampleRateHz;
  return summary;
}

/** An image given by URL: the simulator is offline, so only the host is noted (URLs may carry tokens). */
export function imageByUrl(role: string, url: string): Extract<PartSummary, { type: 'image'; source: 'url' }> {
  let host = '';
  try {
    host = new URL(url).host;
  } catch {
    host = '(unparsable URL)';
  }
  return { role, type: 'image', source: 'url', host };
}
