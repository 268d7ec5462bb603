import { randomUUID } from 'node:crypto';
import type { RealtimeItemTruncate } from '@voxgate/protocol';
import { findStringValue } from '../../frame.js';

/** A GA id the relay makes where GLM names none (`item_…`, `call_…`, `resp_…`). */
export function relayId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

export function relayEventId(): string {
  return `event_relay_${randomUUID()}`;
}

/** Bytes of PCM16 24 kHz mono per millisecond: what GLM's `pcm` output and GA's `audio/pcm` are. */
const PCM24K_BYTES_PER_MS = 48;
const BACKSLASH = 0x5c;
const AUDIO_DELTA_OPEN = Buffer.from('{"type":"response.output_audio.delta","event_id":');
const AUDIO_DELTA_CLOSE = Buffer.from('"}');

/** Decoded bytes of a base64 value of `length` characters ending in `padding` `=`. */
function base64Bytes(length: number, padding: number): number {
  return (length / 4) * 3 - padding;
}

type PartKind = 'audio' | 'text';

/** One GA event the translator emits, as an object (observed, then serialised). */
export type GaEvent = Record<string, unknown> & { type: string };

/** What the translator keeps of an answer's items, during the answer and after it (truncate checks). */
export interface AnsweredItem {
  id: string;
  kind: 'message' | 'function_call';
  /** Audio sent to the client for this item. */
  audioMs: number;
  /** The `content_index` of its audio part, once it has one. */
  audioContentIndex: number | undefined;
  /** Where the client said playback stopped (`conversation.item.truncate`), if it did. */
  truncatedAtMs: number | undefined;
}

/** The assistant message item of an answer: what GA says about it, gathered from GLM's events. */
interface MessageItem extends AnsweredItem {
  outputIndex: number;
  /** `content_index` of each content part, in the order the parts began. */
  parts: Map<PartKind, number>;
  transcript: string;
  text: string;
  /** `,"response_id":…,"content_index":…,"delta":"` of this item's audio deltas, made once. */
  audioDeltaFields: Buffer | undefined;
}

/**
 * One GLM answer in GA's terms. GLM's events name neither items nor (for transcripts) the
 * response, and say nothing about output items or content parts; GA clients find audio, transcripts
 * and function calls by `response_id`, `item_id`, `output_index` and `content_index`, and wait for
 * `response.output_item.*` / `conversation.item.*` and `response.done.response.output`. The relay
 * makes those: one assistant message item for the spoken answer (opened by its first content event)
 * and one `function_call` item per `response.function_call_arguments.done`, in `output_index` order.
 */
export class GaReply {
  readonly id: string;
  /** GLM's ids for this answer (its `response_id`s), which its late content carries. */
  readonly providerIds = new Set<string>();
  readonly #metadata: unknown;
  #message: MessageItem | undefined;
  /** Output items in order; a message item is put in its final shape when the answer ends. */
  readonly #output: Record<string, unknown>[] = [];
  readonly #functionCalls: AnsweredItem[] = [];

  /** `onAudio`: audio sent for an item (the history cuts a truncated answer's transcript by it). */
  constructor(
    id: string | undefined,
    readonly onAudio: (itemId: string, ms: number) => void,
    metadata: unknown = null,
  ) {
    this.id = id ?? relayId('resp');
    this.#metadata = metadata;
  }

  /** GA's `response.created` (GLM's carries an id and a status at most). */
  created(eventId: unknown): GaEvent {
    return { type: 'response.created', event_id: eventIdOr(eventId), response: this.#response('in_progress', null, [], null) };
  }

  /** The message item, announced by the first content event unless GLM named it (`conversation.item.created`). */
  get messageItemId(): string | undefined {
    return this.#message?.id;
  }

  openMessage(givenId?: string): GaEvent[] {
    if (this.#message) return [];
    const message: MessageItem = {
      id: givenId ?? relayId('item'),
      kind: 'message',
      audioContentIndex: undefined,
      truncatedAtMs: undefined,
      outputIndex: this.#output.length,
      parts: new Map(),
      transcript: '',
      text: '',
      audioMs: 0,
      audioDeltaFields: undefined,
    };
    this.#message = message;
    const item = { id: message.id, object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    this.#output.push(item);
    return [
      { type: 'response.output_item.added', event_id: relayEventId(), response_id: this.id, output_index: message.outputIndex, item },
      { type: 'conversation.item.added', event_id: relayEventId(), item },
    ];
  }

  /** The opening events a content event of `kind` needs first: the item, then its content part. */
  #openPart(kind: PartKind): { opening: GaEvent[]; message: MessageItem; contentIndex: number } {
    const opening = this.openMessage();
    const message = this.#message as MessageItem;
    let contentIndex = message.parts.get(kind);
    if (contentIndex === undefined) {
      contentIndex = message.parts.size;
      message.parts.set(kind, contentIndex);
      if (kind === 'audio') message.audioContentIndex = contentIndex;
      opening.push({
        type: 'response.content_part.added',
        event_id: relayEventId(),
        response_id: this.id,
        item_id: message.id,
        output_index: message.outputIndex,
        content_index: contentIndex,
        part: kind === 'audio' ? { type: 'audio', transcript: '' } : { type: 'text', text: '' },
      });
    }
    return { opening, message, contentIndex };
  }

  /**
   * A GLM content event (`response.audio.*`, `.audio_transcript.*`, `.text.*`, already renamed to
   * GA's `ga` type) with every field GA requires, after the events that must come before it.
   */
  content(ga: string, event: Record<string, unknown>): GaEvent[] {
    const kind: PartKind = ga.startsWith('response.output_text.') ? 'text' : 'audio';
    const { opening, message, contentIndex } = this.#openPart(kind);
    const out: GaEvent = {
      type: ga,
      event_id: eventIdOr(event.event_id),
      response_id: this.id,
      item_id: message.id,
      output_index: message.outputIndex,
      content_index: contentIndex,
    };
    if (ga.endsWith('.delta')) {
      const delta = typeof event.delta === 'string' ? event.delta : '';
      out.delta = delta;
      if (ga === 'response.output_audio.delta') this.#audio(message, base64Bytes(delta.length, delta.endsWith('==') ? 2 : delta.endsWith('=') ? 1 : 0) / PCM24K_BYTES_PER_MS);
      else if (ga === 'response.output_audio_transcript.delta') message.transcript += delta;
      else message.text += delta;
    } else if (ga === 'response.output_audio_transcript.done') {
      // GLM's whole transcript wins over the deltas joined: it is what the model said.
      if (typeof event.transcript === 'string') message.transcript = event.transcript;
      out.transcript = message.transcript;
    } else if (ga === 'response.output_text.done') {
      if (typeof event.text === 'string') message.text = event.text;
      out.text = message.text;
    }
    opening.push(out);
    return opening;
  }

  /**
   * GLM's `response.audio.delta` as GA's, built around the frame's base64 without parsing it (the
   * hot path: 25 frames a second). `undefined` when the frame is not plain enough for that (no
   * `delta` string, or escapes in it): the caller parses it instead.
   */
  audioDeltaFrame(frame: Buffer): { frame: Buffer; opening: GaEvent[] } | undefined {
    const delta = findStringValue(frame, 'delta');
    if (delta === undefined) return undefined;
    const backslashAt = frame.indexOf(BACKSLASH, delta.start);
    if (backslashAt !== -1 && backslashAt < delta.end) return undefined;
    const { opening, message, contentIndex } = this.#openPart('audio');
    const length = delta.end - delta.start;
    const padding = length > 0 && frame[delta.end - 1] === 0x3d ? (frame[delta.end - 2] === 0x3d ? 2 : 1) : 0;
    this.#audio(message, base64Bytes(length, padding) / PCM24K_BYTES_PER_MS);
    message.audioDeltaFields ??= Buffer.from(
      `,"response_id":${JSON.stringify(this.id)},"item_id":${JSON.stringify(message.id)},"output_index":${message.outputIndex},"content_index":${contentIndex},"delta":"`,
    );
    const given = findStringValue(frame, 'event_id');
    const eventId = given !== undefined && !frame.subarray(given.start, given.end).includes(BACKSLASH) ? frame.toString('utf8', given.start, given.end) : relayEventId();
    return {
      frame: Buffer.concat([AUDIO_DELTA_OPEN, Buffer.from(JSON.stringify(eventId)), message.audioDeltaFields, frame.subarray(delta.start, delta.end), AUDIO_DELTA_CLOSE]),
      opening,
    };
  }

  /**
   * GLM's one event for a function call (`response.function_call_arguments.done{name, arguments}`,
   * no call id, no item) as GA's whole sequence for a `function_call` item. GLM gives the arguments
   * at once; they go out as one `.delta` too, for clients that build them from deltas.
   */
  functionCall(event: Record<string, unknown>): GaEvent[] {
    const name = typeof event.name === 'string' ? event.name : '';
    const callArguments = typeof event.arguments === 'string' ? event.arguments : JSON.stringify(event.arguments ?? {});
    const callId = typeof event.call_id === 'string' ? event.call_id : relayId('call');
    const outputIndex = this.#output.length;
    const itemId = relayId('item');
    const opened = { id: itemId, object: 'realtime.item', type: 'function_call', status: 'in_progress', name, call_id: callId, arguments: '' };
    const item = { ...opened, status: 'completed', arguments: callArguments };
    this.#output.push(item);
    this.#functionCalls.push({ id: itemId, kind: 'function_call', audioMs: 0, audioContentIndex: undefined, truncatedAtMs: undefined });
    const at = { response_id: this.id, item_id: itemId, output_index: outputIndex, call_id: callId };
    return [
      { type: 'response.output_item.added', event_id: relayEventId(), response_id: this.id, output_index: outputIndex, item: opened },
      { type: 'conversation.item.added', event_id: relayEventId(), item: opened },
      { type: 'response.function_call_arguments.delta', event_id: relayEventId(), ...at, delta: callArguments },
      { type: 'response.function_call_arguments.done', event_id: eventIdOr(event.event_id), ...at, name, arguments: callArguments },
      { type: 'response.output_item.done', event_id: relayEventId(), response_id: this.id, output_index: outputIndex, item },
      { type: 'conversation.item.done', event_id: relayEventId(), item },
    ];
  }

  /**
   * GLM's `response.done{response:{id, status, usage}}` as GA's: the message item's parts and the
   * item itself done first (status `completed` only if the answer was), then `response.done` with
   * every output item.
   */
  done(event: Record<string, unknown>): GaEvent[] {
    const given = (typeof event.response === 'object' && event.response !== null ? event.response : {}) as Record<string, unknown>;
    const status = typeof given.status === 'string' ? given.status : 'completed';
    const out: GaEvent[] = [];
    const message = this.#message;
    if (message) {
      const at = { response_id: this.id, item_id: message.id, output_index: message.outputIndex };
      const content: Record<string, unknown>[] = [];
      for (const [kind, contentIndex] of message.parts) {
        const part = kind === 'audio' ? { type: 'audio', transcript: message.transcript } : { type: 'text', text: message.text };
        out.push({ type: 'response.content_part.done', event_id: relayEventId(), ...at, content_index: contentIndex, part });
        content.push(kind === 'audio' ? { type: 'output_audio', transcript: message.transcript } : { type: 'output_text', text: message.text });
      }
      const item = { id: message.id, object: 'realtime.item', type: 'message', status: status === 'completed' ? 'completed' : 'incomplete', role: 'assistant', content };
      this.#output[message.outputIndex] = item;
      out.push(
        { type: 'response.output_item.done', event_id: relayEventId(), response_id: this.id, output_index: message.outputIndex, item },
        { type: 'conversation.item.done', event_id: relayEventId(), item },
      );
    }
    out.push({
      type: 'response.done',
      event_id: eventIdOr(event.event_id),
      response: this.#response(status, given.status_details ?? null, this.#output, given.usage ?? null),
    });
    return out;
  }

  #audio(message: MessageItem, ms: number): void {
    message.audioMs += ms;
    this.onAudio(message.id, ms);
  }

  /** The items this answer produced so far (live: the message's audio grows as it is sent). */
  items(): AnsweredItem[] {
    return this.#message ? [this.#message, ...this.#functionCalls] : [...this.#functionCalls];
  }

  #response(status: string, statusDetails: unknown, output: Record<string, unknown>[], usage: unknown): Record<string, unknown> {
    return {
      object: 'realtime.response',
      id: this.id,
      status,
      status_details: statusDetails,
      output,
      output_modalities: ['audio'],
      usage,
      metadata: this.#metadata,
    };
  }
}

function eventIdOr(given: unknown): string {
  return typeof given === 'string' && given !== '' ? given : relayEventId();
}

/**
 * Why OpenAI would refuse this truncate of `item` (undefined: not an item the relay announced), for
 * translators that answer `conversation.item.truncate` themselves (neither GLM nor Gemini has one).
 */
export function truncateProblem(item: AnsweredItem | undefined, event: RealtimeItemTruncate): { code: string; param: string; message: string } | undefined {
  if (item === undefined) return { code: 'item_not_found', param: 'item_id', message: `Item with item_id '${event.item_id.slice(0, 200)}' not found.` };
  if (item.kind !== 'message' || item.audioContentIndex === undefined) {
    return { code: 'invalid_value', param: 'item_id', message: 'Only assistant message items with audio can be truncated.' };
  }
  if (event.content_index !== item.audioContentIndex) {
    return { code: 'invalid_value', param: 'content_index', message: `Invalid 'content_index': the audio is content ${item.audioContentIndex}.` };
  }
  // Deltas carry whole samples but clients count played samples and round: the millisecond is rounded up.
  const limitMs = Math.min(Math.ceil(item.audioMs), item.truncatedAtMs ?? Number.POSITIVE_INFINITY);
  if (event.audio_end_ms > limitMs) return { code: 'invalid_value', param: 'audio_end_ms', message: `Audio content of ${limitMs}ms is already shorter than ${event.audio_end_ms}ms.` };
  return undefined;
}
