import type { Provider, RealtimeItemTruncate, RealtimeSessionConfig } from '@voxgate/protocol';
import { bytesFromPcm16, pcm16FromBytes, PcmResampler } from '../../audio/resample.js';
import { wavFile } from '../../audio/wav.js';
import { classifyClientFrame } from '../../client-frames.js';
import { findStringValue, parseObject, peekType } from '../../frame.js';
import type { UpstreamTarget } from '../../upstream.js';
import { observeServerEvent } from '../observe.js';
import type { ProviderAdapter, SessionPort } from '../types.js';
import {
  ABSORBED_SERVER_EVENTS,
  gaError,
  gaSession,
  GLM_INPUT_SAMPLE_RATE,
  GLM_DEFAULT_VOICE,
  GLM_OUTPUT_SAMPLE_RATE,
  glmItem,
  glmSessionUpdate,
  mergeSession,
  RENAMED_SERVER_EVENTS,
  UNSUPPORTED_CLIENT_EVENTS,
  type GlmSessionState,
} from './mapping.js';
import { responseCreateProblem, sessionUpdateProblem } from './options.js';
import { type AnsweredItem, GaReply, type GaEvent, relayEventId, relayId, truncateProblem } from './reply.js';

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
/** Ended answers whose late content is recognised as late (GLM sends at most one answer at a time). */
const ENDED_RESPONSE_IDS_KEPT = 16;
/**
 * Items of ended answers a client may still truncate (it truncates what it is playing: the last
 * answer or two); older ones are `item_not_found`. Each is kept as its few truncation figures, not
 * the whole item with its transcript and frame prefix: with answers back to back, 64 whole items
 * were 60 KB a session.
 */
const ANSWERED_ITEMS_KEPT = 16;
/** Tool results awaiting GLM's item, at most (GLM answers each `conversation.item.create` at once). */
const SENT_OUTPUTS_KEPT = 16;

/** GA clients send PCM16 at 24 kHz. */
const CLIENT_SAMPLE_RATE = 24_000;

/**
 * Zhipu GLM-Realtime behind the GA protocol (the mapping table is in `mapping.ts`). Per-session
 * state: the configured session, the input resampler's filter history and an odd byte carried
 * between appends, the audio clock of the input, the answer in progress (`GaReply`) and the ids
 * GA clients know that GLM does not.
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
        const problem = sessionUpdateProblem(event.session, this.#state.model);
        if (problem) {
          port.refuse(problem.code, problem.message, eventId, { param: problem.param });
          return;
        }
        mergeSession(this.#state, event.session as RealtimeSessionConfig);
        port.toProvider(glmSessionUpdate(this.#state, eventId));
        return;
      }
      case 'response.create': {
        const problem = responseCreateProblem(event.response, this.#state.voice ?? GLM_DEFAULT_VOICE);
        if (problem) {
          port.refuse(problem.code, problem.message, eventId, { param: problem.param });
          return;
        }
        // GLM's response.create takes no options; the metadata is the relay's to echo in the answer's response object.
        this.#nextMetadata = (event.response as { metadata?: unknown } | undefined)?.metadata ?? null;
        port.toProvider(JSON.stringify({ type, ...id, client_timestamp: Date.now() }));
        return;
      }
      case 'conversation.item.truncate':
        this.#truncate(event as RealtimeItemTruncate, port);
        return;
      case 'input_audio_buffer.clear':
        // The cleared audio is gone for GLM; its tail must not reach the next utterance either.
        this.#input.reset();
        this.#carry = undefined;
        this.#uncommittedAudioMs = 0;
        port.toProvider(JSON.stringify({ type, ...id, client_timestamp: Date.now() }));
        return;
      case 'conversation.item.create': {
        const item = event.item as { type?: unknown; call_id?: unknown; output?: unknown };
        if (item.type === 'function_call_output' && typeof item.call_id === 'string' && typeof item.output === 'string') {
          // GLM drops the call id; its item comes back without one, and GA clients match outputs to calls by it.
          this.#sentOutputs.push({ callId: item.call_id, output: item.output });
          if (this.#sentOutputs.length > SENT_OUTPUTS_KEPT) this.#sentOutputs.shift();
        }
        // A new item from the client (typed text, a tool result) comes after the answers so far: they are as heard now.
        port.heard.settle();
        port.toProvider(JSON.stringify({ type, ...id, client_timestamp: Date.now(), item: glmItem(event.item as Record<string, unknown>) }));
        return;
      }
      default:
        // commit, response.cancel: GLM takes them without GA's options (`response_id`: GLM has one answer at a time).
        port.toProvider(JSON.stringify({ type, ...id, client_timestamp: Date.now() }));
    }
  }

  fromProvider(frame: Buffer, port: SessionPort): void {
    const peeked = peekType(frame);
    if (peeked === 'response.audio.delta' && GLM_OUTPUT_SAMPLE_RATE === CLIENT_SAMPLE_RATE) {
      const opening: GaEvent[] = [];
      const at = findStringValue(frame, 'response_id');
      const reply = this.#replyFor(at && frame.toString('utf8', at.start, at.end), peeked, opening, port);
      if (reply === undefined) return;
      // A `response.created` made for this delta goes out whichever way the delta does.
      this.#emit(opening, port);
      const built = reply.audioDeltaFrame(frame);
      if (built) {
        this.#emit(built.opening, port);
        port.toClient(built.frame, true);
        return;
      }
    }
    if (peeked !== undefined && ABSORBED_SERVER_EVENTS.has(peeked)) return;
    const event = parseObject(frame);
    if (event === undefined || typeof event.type !== 'string') {
      port.log.warn({ bytes: frame.length }, 'GLM sent a frame that is not a JSON event; dropped');
      return;
    }
    this.#emit(this.#toGa(event, port), port);
  }

  /** Sends GA events to the client; usage and transcripts are read on the way. */
  #emit(events: (GaEvent | string)[], port: SessionPort): void {
    for (const out of events) {
      if (typeof out === 'string') {
        port.toClient(out);
        continue;
      }
      observeServerEvent(out, port);
      port.toClient(JSON.stringify(out), out.type === 'response.output_audio.delta');
    }
  }

  /** One GLM server event as zero or more GA events. */
  #toGa(event: Record<string, unknown>, port: SessionPort): (GaEvent | string)[] {
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
      return [{ type, event_id: eventIdOf(event), session: gaSession(this.#state, session?.id) }];
    }
    if (type === 'input_audio_buffer.speech_started' || type === 'input_audio_buffer.speech_stopped') return [this.#speechEvent(event)];
    if (USER_ITEM_EVENTS.has(type)) this.#userItemEvent(event as Record<string, unknown> & { type: string });
    if (type === 'conversation.item.created') {
      const { type: _created, ...rest } = event;
      const item = event.item as { id?: unknown; role?: unknown } | undefined;
      const reply = this.#reply;
      if (reply && reply.messageItemId === undefined && item?.role === 'assistant' && typeof item.id === 'string') {
        // GLM named the answer's item itself: that id is used, and its `done` waits for the answer's end.
        return reply.openMessage(item.id);
      }
      const restored = this.#withCallId(rest);
      return [
        { ...restored, type: 'conversation.item.added', event_id: eventIdOf(event) },
        { ...restored, type: 'conversation.item.done', event_id: relayEventId() },
      ];
    }
    if (type === 'response.created') {
      const response = event.response as { id?: unknown } | undefined;
      const reply = this.#newReply(typeof response?.id === 'string' ? response.id : undefined, port);
      this.#reply = reply;
      return [reply.created(event.event_id)];
    }
    const out: GaEvent[] = [];
    if (type === 'response.done') {
      const id = (event.response as { id?: unknown } | undefined)?.id;
      const reply = this.#replyFor(typeof id === 'string' ? id : undefined, type, out, port);
      if (reply === undefined) return [];
      this.#finish(reply);
      return [...out, ...reply.done(event)];
    }
    if (type === 'response.function_call_arguments.done') {
      const reply = this.#replyFor(stringOr(event.response_id), type, out, port);
      return reply === undefined ? [] : [...out, ...reply.functionCall(event)];
    }
    const renamed = RENAMED_SERVER_EVENTS[type];
    if (renamed !== undefined) {
      const reply = this.#replyFor(stringOr(event.response_id), type, out, port);
      if (reply === undefined) return [];
      if (renamed === 'response.output_audio.delta' && typeof event.delta === 'string' && GLM_OUTPUT_SAMPLE_RATE !== CLIENT_SAMPLE_RATE) {
        return [...out, ...reply.content(renamed, { ...event, delta: this.#outputAudio(event.delta) })];
      }
      return [...out, ...reply.content(renamed, event)];
    }
    if (type === 'conversation.created' && event.conversation === undefined) {
      return [{ ...event, type, event_id: eventIdOf(event), conversation: { id: relayId('conv'), object: 'realtime.conversation' } }];
    }
    return [{ ...event, type, event_id: eventIdOf(event) }];
  }

  /** Items of ended answers, newest last: what a truncate may name besides the answer in progress. */
  readonly #answered = new Map<string, AnsweredItem>();

  /**
   * GLM has no truncate and keeps no audio to cut, so the relay answers it, as OpenAI would: only an
   * assistant message item it announced, only its audio part, and no further than the audio sent
   * for it (or an earlier truncate's end). What it confirms is recorded for the history.
   */
  #truncate(event: RealtimeItemTruncate, port: SessionPort): void {
    const item = this.#reply?.items().find((i) => i.id === event.item_id) ?? this.#answered.get(event.item_id);
    const problem = truncateProblem(item, event);
    if (problem !== undefined || item === undefined) {
      if (problem) port.refuse(problem.code, problem.message, event.event_id, { param: problem.param });
      return;
    }
    item.truncatedAtMs = event.audio_end_ms;
    this.#emit([{ type: 'conversation.item.truncated', event_id: relayEventId(), item_id: item.id, content_index: event.content_index, audio_end_ms: event.audio_end_ms }], port);
  }

  /** Tool results the client sent, until GLM's item for each comes back. */
  readonly #sentOutputs: { callId: string; output: string }[] = [];

  /** A `function_call_output` item from GLM with the `call_id` the client gave it (matched by its output). */
  #withCallId(event: Record<string, unknown>): Record<string, unknown> {
    const item = event.item as { type?: unknown; call_id?: unknown; output?: unknown } | undefined;
    if (item?.type !== 'function_call_output' || typeof item.call_id === 'string') return event;
    const at = this.#sentOutputs.findIndex((sent) => sent.output === item.output);
    if (at < 0) return event;
    const [sent] = this.#sentOutputs.splice(at, 1);
    return { ...event, item: { ...item, call_id: sent?.callId } };
  }

  /** The answer in progress, made from GLM's `response.created`; ended by its `response.done`. */
  #reply: GaReply | undefined;
  /** Ids of answers that ended (GLM's and the relay's), newest last: content naming one is late. */
  readonly #endedResponseIds: string[] = [];
  /** Content events GLM sent after their answer ended, dropped. */
  #lateEvents = 0;

  /**
   * The answer a content event belongs to. Content of an answer that already ended (GLM sends
   * audio past its own `response.done` now and then) would open an assistant item GA clients
   * never see closed: it is dropped and counted, and `undefined` returned. An event of an answer
   * whose `response.created` never came starts one (its `response.created` goes into `out`).
   */
  #replyFor(responseId: string | undefined, type: string, out: GaEvent[], port: SessionPort): GaReply | undefined {
    const ended = responseId !== undefined && this.#endedResponseIds.includes(responseId);
    let reply = ended ? undefined : this.#reply;
    if (reply === undefined && responseId !== undefined && !ended) {
      reply = this.#newReply(responseId, port);
      this.#reply = reply;
      out.push(reply.created(undefined));
    }
    if (reply === undefined) {
      if (this.#lateEvents === 0) port.log.info({ type, responseId }, 'GLM sent content after its answer ended; dropped');
      this.#lateEvents++;
      return undefined;
    }
    if (responseId !== undefined) reply.providerIds.add(responseId);
    return reply;
  }

  /** `response.create`'s `metadata`, for the next answer GLM starts. */
  #nextMetadata: unknown = null;

  #newReply(responseId: string | undefined, port: SessionPort): GaReply {
    const reply = new GaReply(responseId, (itemId, ms) => port.heard.audio(itemId, ms), this.#nextMetadata);
    this.#nextMetadata = null;
    return reply;
  }

  #finish(reply: GaReply): void {
    if (this.#reply === reply) this.#reply = undefined;
    for (const { id, kind, audioMs, audioContentIndex, truncatedAtMs } of reply.items()) {
      this.#answered.set(id, { id, kind, audioMs, audioContentIndex, truncatedAtMs });
    }
    for (const id of this.#answered.keys()) {
      if (this.#answered.size <= ANSWERED_ITEMS_KEPT) break;
      this.#answered.delete(id);
    }
    this.#endedResponseIds.push(reply.id, ...reply.providerIds);
    if (this.#endedResponseIds.length > ENDED_RESPONSE_IDS_KEPT) this.#endedResponseIds.splice(0, this.#endedResponseIds.length - ENDED_RESPONSE_IDS_KEPT);
  }

  ended(port: SessionPort): void {
    if (this.#lateEvents > 0) port.log.info({ lateProviderEvents: this.#lateEvents }, 'GLM content events dropped because their answer had ended');
  }

  /** Client audio sent to GLM in this session, and since the last commit or clear (GA's audio clock). */
  #inputAudioMs = 0;
  #uncommittedAudioMs = 0;
  /** The item id GA announces with `speech_started`, for the user's utterance GLM has not committed yet. */
  #speechItemId: string | undefined;
  /** GLM's id of a committed utterance → the id the client knows from `speech_started`, and its audio. */
  readonly #userItems = new Map<string, { id: string; audioMs: number }>();

  /**
   * GLM's speech events name no item and no time, GA's do (clients show "listening…" under that
   * id, and place the utterance by the times). The relay makes the id at `speech_started`; GLM's
   * own id, first seen in `committed`, is renamed to it. The times are the client audio the relay
   * had sent when GLM's event arrived: GLM reports speech after hearing some of it, so they are late
   * by that delay (and by what is still in flight when a client sends faster than real time), never
   * early.
   */
  #speechEvent(event: Record<string, unknown>): GaEvent {
    const started = event.type === 'input_audio_buffer.speech_started';
    if (typeof event.item_id !== 'string' && (started || this.#speechItemId === undefined)) this.#speechItemId = relayId('item');
    const timeKey = started ? 'audio_start_ms' : 'audio_end_ms';
    return {
      ...event,
      type: event.type as string,
      event_id: eventIdOf(event),
      item_id: typeof event.item_id === 'string' ? event.item_id : this.#speechItemId,
      [timeKey]: typeof event[timeKey] === 'number' ? event[timeKey] : Math.round(this.#inputAudioMs),
    };
  }

  /**
   * An event about a committed utterance: GLM's item id renamed to the one its speech events
   * carried, and what GA requires that GLM leaves out (`content_index`, the transcription's usage as
   * the audio committed) filled in (in place).
   */
  #userItemEvent(event: Record<string, unknown> & { type: string }): void {
    const item = event.type === 'conversation.item.created' ? (event.item as Record<string, unknown> | undefined) : undefined;
    const glmId = item ? item.id : event.item_id;
    if (typeof glmId !== 'string') return;
    if (event.type === 'input_audio_buffer.committed') {
      this.#userItems.set(glmId, { id: this.#speechItemId ?? glmId, audioMs: this.#uncommittedAudioMs });
      this.#speechItemId = undefined;
      this.#uncommittedAudioMs = 0;
      // Ids are needed only until the utterance's transcript; a provider that never sends one cannot grow this.
      if (this.#userItems.size > USER_ITEM_IDS_KEPT) this.#userItems.delete(this.#userItems.keys().next().value as string);
    }
    const ours = this.#userItems.get(glmId);
    if (ours === undefined) return;
    if (item) event.item = { ...item, id: ours.id };
    else event.item_id = ours.id;
    if (event.type.startsWith('conversation.item.input_audio_transcription.') && event.type !== 'conversation.item.input_audio_transcription.delta') {
      event.content_index ??= 0;
      if (event.type === 'conversation.item.input_audio_transcription.completed') {
        event.usage ??= { type: 'duration', seconds: Math.round(ours.audioMs / 100) / 10 };
      } else {
        event.error ??= { type: 'transcription_error', code: null, message: 'GLM-Realtime could not transcribe the utterance.', param: null };
      }
      this.#userItems.delete(glmId);
    }
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
    const audioMs = pcm.length / 2 / (CLIENT_SAMPLE_RATE / 1000);
    this.#inputAudioMs += audioMs;
    this.#uncommittedAudioMs += audioMs;
    const resampled = this.#input.process(pcm16FromBytes(pcm));
    if (resampled.length === 0) return;
    const wav = wavFile(bytesFromPcm16(resampled), GLM_INPUT_SAMPLE_RATE);
    port.toProvider(`{"type":"input_audio_buffer.append","client_timestamp":${Date.now()},"audio":"${wav.toString('base64')}"}`);
  }
}

function eventIdOf(event: Record<string, unknown>): string {
  return typeof event.event_id === 'string' && event.event_id !== '' ? event.event_id : relayEventId();
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
