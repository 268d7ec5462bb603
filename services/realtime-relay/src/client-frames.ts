import {
  createParser,
  REALTIME_CLIENT_EVENT_TYPES,
  RealtimeControlEvent,
  RealtimeItemCreate,
  RealtimeItemTruncate,
  RealtimeSessionUpdate,
  type Parser,
} from '@voxgate/protocol';
import type { TSchema } from 'typebox';
import type { RelayErrorCode } from './errors.js';
import { appendAudio, parseObject, peekType } from './frame.js';

const KNOWN = new Set<string>(REALTIME_CLIENT_EVENT_TYPES);

/** Events whose fields the relay reads or translates are checked against their schema. */
const PARSERS: Record<string, Parser<TSchema>> = {
  'session.update': createParser(RealtimeSessionUpdate),
  'conversation.item.truncate': createParser(RealtimeItemTruncate),
  'conversation.item.create': createParser(RealtimeItemCreate),
};
const parseControl = createParser(RealtimeControlEvent);

/** A client text frame, classified. */
export type ClientFrame =
  /** `input_audio_buffer.append` whose `audio` (bytes `start`–`end` of the frame) is base64. */
  | { kind: 'append'; start: number; end: number }
  | { kind: 'control'; type: string; event: Record<string, unknown>; eventId: string | undefined }
  | { kind: 'refused'; code: RelayErrorCode; message: string; eventId?: string | undefined };

/**
 * Classifies a client's text frame. Audio appends take the fast path (the `type` near the start,
 * the `audio` value checked to be base64, nothing parsed); every other event is small and parsed.
 */
export function classifyClientFrame(frame: Buffer): ClientFrame {
  if (peekType(frame) === 'input_audio_buffer.append') {
    const audio = appendAudio(frame);
    if (audio === 'missing') return { kind: 'refused', code: 'invalid_event', message: 'input_audio_buffer.append needs a string `audio`.' };
    if (audio === 'invalid') return { kind: 'refused', code: 'invalid_audio', message: '`audio` must be base64-encoded PCM16.' };
    return { kind: 'append', ...audio };
  }
  const event = parseObject(frame);
  if (event === undefined) return { kind: 'refused', code: 'invalid_json', message: 'Frames must be JSON objects (OpenAI realtime GA client events).' };
  const control = parseControl.parse(event);
  if (!control.ok) return { kind: 'refused', code: 'invalid_event', message: `Invalid event: ${control.error}.` };
  const { type, event_id: eventId } = control.value;
  if (!KNOWN.has(type)) {
    return { kind: 'refused', code: 'unknown_event_type', message: `Unknown client event type '${type.slice(0, 100)}'.`, eventId };
  }
  if (type === 'input_audio_buffer.append') {
    // Reached only when the fast path could not see the type (escaped, or far into the frame).
    const audio = event.audio;
    if (typeof audio !== 'string') return { kind: 'refused', code: 'invalid_event', message: 'input_audio_buffer.append needs a string `audio`.', eventId };
    const bytes = Buffer.from(JSON.stringify({ type, audio }));
    const range = appendAudio(bytes);
    if (typeof range === 'string') return { kind: 'refused', code: 'invalid_audio', message: '`audio` must be base64-encoded PCM16.', eventId };
  }
  const parser = PARSERS[type];
  if (parser) {
    const checked = parser.parse(event);
    if (!checked.ok) return { kind: 'refused', code: 'invalid_event', message: `Invalid ${type}: ${checked.error}.`, eventId };
  }
  return { kind: 'control', type, event, eventId };
}
