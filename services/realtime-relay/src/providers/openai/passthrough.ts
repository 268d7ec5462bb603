import type { Provider } from '@voxgate/protocol';
import { classifyClientFrame } from '../../client-frames.js';
import { findStringValue, parseObject, peekType } from '../../frame.js';
import type { UpstreamTarget } from '../../upstream.js';
import { OBSERVED_SERVER_EVENTS, observeServerEvent } from '../observe.js';
import type { ProviderAdapter, SessionPort } from '../types.js';

/** GA `audio/pcm`: 24 kHz mono PCM16. */
const PCM24K_BYTES_PER_MS = 48;
/** GA `audio/pcmu` / `audio/pcma`: 8 kHz, a byte a sample. */
const G711_BYTES_PER_MS = 8;

/**
 * OpenAI realtime GA: the client already speaks the provider's protocol, so frames cross as the
 * same bytes. Client frames are checked (GA `error` events for what OpenAI would refuse anyway,
 * before it costs a round trip); server frames are only peeked at, and parsed when they carry
 * usage, a transcript, a truncation, a turn's start or the session's audio format. Audio deltas
 * are not parsed: their item id and base64 length are found in the bytes, for the history.
 */
export class OpenAiPassthrough implements ProviderAdapter {
  readonly provider: Provider = 'openai';
  /** Of the session's output format (`audio/pcm` 24 kHz PCM16 unless it says G.711), for the audio's length. */
  #outputBytesPerMs = PCM24K_BYTES_PER_MS;

  constructor(readonly target: UpstreamTarget) {}

  opened(): void {}

  fromClient(frame: Buffer, port: SessionPort): void {
    const classified = classifyClientFrame(frame);
    if (classified.kind === 'refused') {
      port.refuse(classified.code, classified.message, classified.eventId);
      return;
    }
    if (classified.kind === 'control' && classified.type === 'session.update') {
      const session = classified.event.session as { type?: unknown; output_modalities?: unknown };
      port.log.debug({ sessionType: session.type, outputModalities: session.output_modalities }, 'session.update');
    }
    // A new item from the client (typed text, a tool result) comes after the answers so far: they are as heard now.
    if (classified.kind === 'control' && classified.type === 'conversation.item.create') port.heard.settle();
    port.toProvider(frame);
  }

  fromProvider(frame: Buffer, port: SessionPort): void {
    const type = peekType(frame);
    if (type === 'response.output_audio.delta') {
      this.#countAudio(frame, port);
      port.toClient(frame, true);
      return;
    }
    if (type === undefined || OBSERVED_SERVER_EVENTS.has(type) || type === 'session.created' || type === 'session.updated') {
      const event = parseObject(frame);
      if (event) {
        observeServerEvent(event, port);
        if (event.type === 'session.created' || event.type === 'session.updated') this.#readOutputFormat(event);
      }
    }
    port.toClient(frame);
  }

  /**
   * How much audio a delta holds, for cutting the answer's transcript where a truncate says
   * playback stopped. Read from the frame's `item_id` and the length of its base64, without
   * parsing it: the frame still goes on as the same bytes.
   */
  #countAudio(frame: Buffer, port: SessionPort): void {
    const item = findStringValue(frame, 'item_id');
    const delta = findStringValue(frame, 'delta');
    if (item === undefined || delta === undefined) return;
    const length = delta.end - delta.start;
    const padding = length > 0 && frame[delta.end - 1] === 0x3d ? (frame[delta.end - 2] === 0x3d ? 2 : 1) : 0;
    port.heard.audio(frame.toString('latin1', item.start, item.end), ((length / 4) * 3 - padding) / this.#outputBytesPerMs);
  }

  #readOutputFormat(event: Record<string, unknown>): void {
    const format = (event.session as { audio?: { output?: { format?: { type?: unknown } } } } | undefined)?.audio?.output?.format?.type;
    if (typeof format === 'string') this.#outputBytesPerMs = format === 'audio/pcm' ? PCM24K_BYTES_PER_MS : G711_BYTES_PER_MS;
  }
}
