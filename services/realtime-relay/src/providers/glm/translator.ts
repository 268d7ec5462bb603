import { randomUUID } from 'node:crypto';
import type { Provider, RealtimeSessionConfig } from '@voxgate/protocol';
import { bytesFromPcm16, pcm16FromBytes, PcmResampler } from '../../audio/resample.js';
import { wavFile } from '../../audio/wav.js';
import { classifyClientFrame } from '../../client-frames.js';
import { parseObject, peekType, withType } from '../../frame.js';
import type { UpstreamTarget } from '../../upstream.js';
import { observeServerEvent } from '../observe.js';
import type { ProviderAdapter, SessionPort } from '../types.js';
import {
  ABSORBED_SERVER_EVENTS,
  gaError,
  gaSession,
  GLM_INPUT_SAMPLE_RATE,
  GLM_OUTPUT_SAMPLE_RATE,
  glmItem,
  glmSessionUpdate,
  mergeSession,
  RENAMED_SERVER_EVENTS,
  UNSUPPORTED_CLIENT_EVENTS,
  type GlmSessionState,
} from './mapping.js';

/** GLM events about a user utterance whose item id the relay renames to the one it announced. */
const USER_ITEM_EVENTS = new Set([
  'input_audio_buffer.committed',
  'conversation.item.created',
  'conversation.item.input_audio_transcription.delta',
  'conversation.item.input_audio_transcription.completed',
  'conversation.item.input_audio_transcription.failed',
]);
/** Committed utterances whose transcript is still awaited, at most. */
const USER_ITEM_IDS_KEPT = 32;

/** GA clients send PCM16 at 24 kHz. */
const CLIENT_SAMPLE_RATE = 24_000;

/**
 * Zhipu GLM-Realtime behind the GA protocol (the mapping table is in `mapping.ts`). Per-session
 * state: the configured session, the input resampler's filter history and an odd byte carried
 * between appends.
 */
export class GlmTranslator implements ProviderAdapter {
  readonly provider: Provider = 'zhipu';
  readonly #state: GlmSessionState;
  readonly #input = new PcmResampler(CLIENT_SAMPLE_RATE, GLM_INPUT_SAMPLE_RATE);
  #carry: Buffer | undefined;
  /**
   * GLM answers the relay's own opening `session.update` with a `session.updated` the client never
   * asked for (GA sends one only in reply to the client's update), and which would describe the
   * session before the client's first update. The first reply after opening is that answer.
   */
  #ownUpdatePending = false;

  constructor(
    model: string,
    readonly target: UpstreamTarget,
  ) {
    this.#state = { model, vad: true };
  }

  opened(port: SessionPort): void {
    // GLM chooses the model from `session.update`, and defaults to client VAD where GA defaults to server VAD.
    port.toProvider(glmSessionUpdate(this.#state));
    this.#ownUpdatePending = true;
  }

  fromClient(frame: Buffer, port: SessionPort): void {
    const classified = classifyClientFrame(frame);
    if (classified.kind === 'refused') {
      port.refuse(classified.code, classified.message, classified.eventId);
      return;
    }
    if (classified.kind === 'append') {
      this.#append(frame.subarray(classified.start, classified.end), port);
      return;
    }
    const { type, event, eventId } = classified;
    const id = eventId ? { event_id: eventId } : {};
    if (UNSUPPORTED_CLIENT_EVENTS.has(type)) {
      port.refuse('unsupported_event', `${type} is not available with GLM-Realtime.`, eventId);
      return;
    }
    switch (type) {
      case 'session.update': {
        const problem = mergeSession(this.#state, event.session as RealtimeSessionConfig);
        if (problem) port.refuse('unsupported_session_option', problem, eventId, 'invalid_request_error');
        else port.toProvider(glmSessionUpdate(this.#state, eventId));
        return;
      }
      case 'conversation.item.truncate':
        // GLM keeps no audio to truncate; the client's view is what counts, so it is confirmed here.
        port.toClient(
          JSON.stringify({
            type: 'conversation.item.truncated',
            event_id: `event_relay_${randomUUID()}`,
            item_id: event.item_id,
            content_index: event.content_index,
            audio_end_ms: event.audio_end_ms,
          }),
        );
        return;
      case 'input_audio_buffer.clear':
        // The cleared audio is gone for GLM; its tail must not reach the next utterance either.
        this.#input.reset();
        this.#carry = undefined;
        port.toProvider(JSON.stringify({ type, ...id, client_timestamp: Date.now() }));
        return;
      case 'conversation.item.create':
        port.toProvider(JSON.stringify({ type, ...id, client_timestamp: Date.now(), item: glmItem(event.item as Record<string, unknown>) }));
        return;
      default:
        // commit, clear, response.create, response.cancel: GLM takes them without GA's options.
        port.toProvider(JSON.stringify({ type, ...id, client_timestamp: Date.now() }));
    }
  }

  fromProvider(frame: Buffer, port: SessionPort): void {
    const peeked = peekType(frame);
    const itemId = this.#reply?.itemId;
    if (peeked === 'response.audio.delta' && itemId !== undefined && GLM_OUTPUT_SAMPLE_RATE === CLIENT_SAMPLE_RATE) {
      const renamed = withType(frame, peeked, 'response.output_audio.delta');
      if (renamed) {
        // GLM's deltas name no item; GA clients play and truncate by `item_id`. Spliced in after `{`.
        const open = renamed.indexOf(0x7b);
        port.toClient(Buffer.concat([renamed.subarray(0, open + 1), Buffer.from(`"item_id":"${itemId}",`), renamed.subarray(open + 1)]), true);
        return;
      }
    }
    if (peeked !== undefined && ABSORBED_SERVER_EVENTS.has(peeked)) return;
    const event = parseObject(frame);
    if (event === undefined || typeof event.type !== 'string') {
      port.log.warn({ bytes: frame.length }, 'GLM sent a frame that is not a JSON event; dropped');
      return;
    }
    for (const out of this.#toGa(event)) {
      const parsed = typeof out === 'string' ? undefined : out;
      if (parsed) observeServerEvent(parsed, port);
      port.toClient(typeof out === 'string' ? out : JSON.stringify(out), parsed?.type === 'response.output_audio.delta');
    }
  }

  /** One GLM server event as zero or more GA events (objects are observed for usage and transcripts). */
  #toGa(event: Record<string, unknown>): (Record<string, unknown> | string)[] {
    const type = event.type as string;
    if (ABSORBED_SERVER_EVENTS.has(type)) return [];
    if (type === 'error') {
      // A refused opening update (e.g. the model) is the client's business: it is passed on.
      this.#ownUpdatePending = false;
      return [gaError(event)];
    }
    if (type === 'session.updated' && this.#ownUpdatePending) {
      this.#ownUpdatePending = false;
      return [];
    }
    if (type === 'session.created' || type === 'session.updated') {
      const session = event.session as { id?: unknown } | undefined;
      return [{ type, event_id: event.event_id ?? `event_relay_${randomUUID()}`, session: gaSession(this.#state, session?.id) }];
    }
    if (type === 'input_audio_buffer.speech_started' || type === 'input_audio_buffer.speech_stopped') return [this.#speechEvent(event)];
    if (USER_ITEM_EVENTS.has(type)) this.#renameUserItem(event);
    if (type === 'conversation.item.created') {
      const { type: _created, ...rest } = event;
      const item = event.item as { id?: unknown; role?: unknown } | undefined;
      if (this.#reply && this.#reply.itemId === undefined && item?.role === 'assistant' && typeof item.id === 'string') {
        // GLM named the answer's item itself: that id is used, and its `done` waits for the answer's end.
        return this.#openReplyItem(event, item.id);
      }
      return [
        { ...rest, type: 'conversation.item.added' },
        { ...rest, type: 'conversation.item.done', event_id: `event_relay_${randomUUID()}` },
      ];
    }
    if (type === 'response.created') {
      const response = event.response as { id?: unknown } | undefined;
      this.#reply = { responseId: typeof response?.id === 'string' ? response.id : undefined, itemId: undefined, transcript: '' };
      return [event];
    }
    if (type === 'response.done') return [...this.#closeReplyItem(event), event];
    if (type === 'response.function_call_arguments.done' && typeof event.call_id !== 'string') {
      return [{ ...event, call_id: `call_${String(event.response_id ?? randomUUID())}_${String(event.output_index ?? 0)}` }];
    }
    const renamed = RENAMED_SERVER_EVENTS[type];
    if (renamed === undefined) return [event];
    // Content of the answer: GA puts it in an assistant message item the client can truncate.
    const opened = this.#reply?.itemId === undefined ? this.#openReplyItem(event) : [];
    const itemId = this.#reply?.itemId;
    const withItem = { ...event, type: renamed, ...(event.item_id === undefined && itemId ? { item_id: itemId } : {}) };
    if (renamed === 'response.output_audio_transcript.done' && this.#reply && typeof event.transcript === 'string') this.#reply.transcript = event.transcript;
    if (renamed === 'response.output_audio.delta' && typeof event.delta === 'string' && GLM_OUTPUT_SAMPLE_RATE !== CLIENT_SAMPLE_RATE) {
      return [...opened, { ...withItem, delta: this.#outputAudio(event.delta) }];
    }
    return [...opened, withItem];
  }

  /** The item id GA announces with `speech_started`, for the user's utterance GLM has not committed yet. */
  #speechItemId: string | undefined;
  /** GLM's id of a committed utterance → the id the client already knows from `speech_started`. */
  readonly #userItemIds = new Map<string, string>();

  /**
   * GLM's speech events name no item, GA's do (clients show "listening…" under that id). The relay
   * makes the id at `speech_started`; GLM's own id, first seen in `committed`, is renamed to it.
   */
  #speechEvent(event: Record<string, unknown>): Record<string, unknown> {
    if (typeof event.item_id === 'string') return event;
    if (event.type === 'input_audio_buffer.speech_started' || this.#speechItemId === undefined) {
      this.#speechItemId = `item_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    }
    return { ...event, item_id: this.#speechItemId };
  }

  /** Gives the events of a committed utterance the id its speech events carried (in place). */
  #renameUserItem(event: Record<string, unknown>): void {
    const item = event.type === 'conversation.item.created' ? (event.item as Record<string, unknown> | undefined) : undefined;
    const glmId = item ? item.id : event.item_id;
    if (typeof glmId !== 'string') return;
    if (event.type === 'input_audio_buffer.committed' && this.#speechItemId !== undefined) {
      this.#userItemIds.set(glmId, this.#speechItemId);
      this.#speechItemId = undefined;
      // Ids are needed only until the utterance's transcript; a provider that never sends one cannot grow this.
      if (this.#userItemIds.size > USER_ITEM_IDS_KEPT) this.#userItemIds.delete(this.#userItemIds.keys().next().value as string);
    }
    const ours = this.#userItemIds.get(glmId);
    if (ours === undefined) return;
    if (item) event.item = { ...item, id: ours };
    else event.item_id = ours;
    if (event.type === 'conversation.item.input_audio_transcription.completed' || event.type === 'conversation.item.input_audio_transcription.failed') {
      this.#userItemIds.delete(glmId);
    }
  }

  /** The answer in progress: GLM's response id, and the GA assistant item the relay gives it. */
  #reply: { responseId: string | undefined; itemId: string | undefined; transcript: string } | undefined;

  /** GA's `response.output_item.added` + `conversation.item.added` for the answer GLM started. */
  #openReplyItem(event: Record<string, unknown>, givenId?: string): Record<string, unknown>[] {
    const responseId = typeof event.response_id === 'string' ? event.response_id : this.#reply?.responseId;
    const itemId = givenId ?? `item_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    this.#reply = { responseId, itemId, transcript: this.#reply?.transcript ?? '' };
    const item = { id: itemId, object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    return [
      { type: 'response.output_item.added', event_id: `event_relay_${randomUUID()}`, response_id: responseId, output_index: 0, item },
      { type: 'conversation.item.added', event_id: `event_relay_${randomUUID()}`, item },
    ];
  }

  /** GA's `response.output_item.done` + `conversation.item.done` before GLM's `response.done`. */
  #closeReplyItem(done: Record<string, unknown>): Record<string, unknown>[] {
    const reply = this.#reply;
    this.#reply = undefined;
    if (reply?.itemId === undefined) return [];
    const status = (done.response as { status?: unknown } | undefined)?.status === 'completed' ? 'completed' : 'incomplete';
    const item = { id: reply.itemId, object: 'realtime.item', type: 'message', status, role: 'assistant', content: [{ type: 'output_audio', transcript: reply.transcript }] };
    return [
      { type: 'response.output_item.done', event_id: `event_relay_${randomUUID()}`, response_id: reply.responseId, output_index: 0, item },
      { type: 'conversation.item.done', event_id: `event_relay_${randomUUID()}`, item },
    ];
  }

  #outputResampler: PcmResampler | undefined;

  /** GLM audio at another rate than the client's 24 kHz (not the case for `pcm` today). */
  #outputAudio(base64: string): string {
    this.#outputResampler ??= new PcmResampler(GLM_OUTPUT_SAMPLE_RATE, CLIENT_SAMPLE_RATE);
    return bytesFromPcm16(this.#outputResampler.process(pcm16FromBytes(Buffer.from(base64, 'base64')))).toString('base64');
  }

  /** Client PCM16 24 kHz (base64 bytes of the frame) → 16 kHz → a WAV file per append. */
  #append(base64: Buffer, port: SessionPort): void {
    let pcm = Buffer.from(base64.toString('latin1'), 'base64');
    if (this.#carry) {
      pcm = Buffer.concat([this.#carry, pcm]);
      this.#carry = undefined;
    }
    if (pcm.length % 2 === 1) {
      // A sample split across two appends: keep its first byte for the next one.
      this.#carry = Buffer.from(pcm.subarray(pcm.length - 1));
      pcm = pcm.subarray(0, pcm.length - 1);
    }
    const resampled = this.#input.process(pcm16FromBytes(pcm));
    if (resampled.length === 0) return;
    const wav = wavFile(bytesFromPcm16(resampled), GLM_INPUT_SAMPLE_RATE);
    port.toProvider(`{"type":"input_audio_buffer.append","client_timestamp":${Date.now()},"audio":"${wav.toString('base64')}"}`);
  }
}
