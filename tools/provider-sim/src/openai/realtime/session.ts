import { decodeBase64 } from '../../media/base64.js';
import { speechTranscript } from '../../realtime/answer.js';
import { countClientEvent, parseFrame } from '../../realtime/events.js';
import type { RealtimePace } from '../../realtime/pace.js';
import type { ParamProblem } from '../../realtime/params.js';
import type { RealtimeRegistry, RealtimeSessionRecord } from '../../realtime/registry.js';
import { EnergyVad } from '../../realtime/vad.js';
import { Conversation, type Item, itemProblem } from './conversation.js';
import { type CancelReason, OpenAiResponse } from './responder.js';
import { applySessionUpdate, defaultSession, type FunctionTool, formatRate, type GaSession, sessionUpdateProblem, VOICES, vadSettings } from './session-config.js';
import type { AudioOutput, EventTransport } from './transport.js';

/** OpenAI's limit on the audio of one append event. */
const MAX_APPEND_BYTES = 15 * 1024 * 1024;
/** A manual commit needs this much audio, as OpenAI's `input_audio_buffer_commit_empty` says. */
const MIN_COMMIT_MS = 100;

export interface SessionDeps {
  transport: EventTransport;
  /** WebRTC: response audio goes out on this track, input audio arrives decoded (`appendPcm`). */
  audioOutput?: AudioOutput;
  /** A GA session config already checked with `sessionUpdateProblem`, applied before `session.created`. */
  initialSession?: Record<string, unknown>;
  record: RealtimeSessionRecord;
  registry: RealtimeRegistry;
  model: string;
  pace: RealtimePace;
  nextId(prefix: string): string;
}

type Handler = (event: Record<string, unknown>) => void;

/**
 * One OpenAI GA realtime session: the session object, the input audio buffer with server VAD,
 * the conversation, and at most one response at a time. Every client mistake is answered with an
 * `error` event naming the offending `event_id`; the socket stays open.
 */
export class OpenAiRealtimeSession {
  #config: GaSession;
  readonly #conversation = new Conversation();
  readonly #conversationId: string;
  #vad: EnergyVad | undefined;
  /** Uncommitted input audio, in ms; the bytes themselves are not kept. */
  #bufferMs = 0;
  #speechItemId: string | undefined;
  #speechStartMs = 0;
  #response: OpenAiResponse | undefined;
  #voiceLocked = false;
  readonly #handlers: Record<string, Handler>;

  constructor(private readonly deps: SessionDeps) {
    this.#config = defaultSession(deps.record.id, deps.model);
    if (deps.initialSession !== undefined) this.#config = applySessionUpdate(this.#config, deps.initialSession);
    this.#conversationId = deps.nextId('conv_');
    this.#vad = this.#newVad();
    this.#handlers = {
      'session.update': (e) => this.#sessionUpdate(e),
      'input_audio_buffer.append': (e) => this.#append(e),
      'input_audio_buffer.commit': (e) => this.#commitByClient(e),
      'input_audio_buffer.clear': () => this.#clear(),
      'conversation.item.create': (e) => this.#itemCreate(e),
      'conversation.item.retrieve': (e) => this.#itemRetrieve(e),
      'conversation.item.delete': (e) => this.#itemDelete(e),
      'conversation.item.truncate': (e) => this.#itemTruncate(e),
      'response.create': (e) => this.#responseCreate(e),
      'response.cancel': (e) => this.#responseCancel(e),
      'output_audio_buffer.clear': (e) => this.#outputClear(e),
    };
    this.#send({ type: 'session.created', session: this.#config });
    this.#send({ type: 'conversation.created', conversation: { id: this.#conversationId, object: 'realtime.conversation' } });
  }

  #send(event: Record<string, unknown>): undefined {
    this.deps.transport.send({ event_id: this.deps.nextId('event_'), ...event });
  }

  /** Sends a server event on behalf of the transport (the audio track's `output_audio_buffer.*`). */
  emit(event: Record<string, unknown>): void {
    this.#send(event);
  }

  #error(cause: Record<string, unknown> | undefined, problem: Omit<ParamProblem, 'code' | 'param'> & { code: string; param?: string | null }): undefined {
    const eventId = typeof cause?.event_id === 'string' ? cause.event_id : null;
    this.deps.record.clientErrors += 1;
    this.#send({ type: 'error', error: { type: 'invalid_request_error', code: problem.code, message: problem.message, param: problem.param ?? null, event_id: eventId } });
  }

  /** One client message, from the WebSocket, the data channel or a sideband socket. */
  receive(data: Buffer, isBinary: boolean): undefined {
    const frame = parseFrame(data, isBinary);
    countClientEvent(this.deps.record, false);
    if (!frame.ok) {
      const eventId = frame.eventId === undefined ? undefined : { event_id: frame.eventId };
      if (frame.reason === 'type') this.#error(eventId, { code: 'missing_required_parameter', param: 'type', message: "Missing required parameter: 'type'." });
      else if (frame.reason === 'binary') this.#error(undefined, { code: 'invalid_json', message: 'Binary frames are not supported; send events as JSON text frames.' });
      else this.#error(undefined, { code: 'invalid_json', message: "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)" });
      return;
    }
    const handler = this.#handlers[frame.event.type];
    if (handler === undefined) {
      const supported = Object.keys(this.#handlers).map((t) => `'${t}'`).join(', ');
      this.#error(frame.event, { code: 'invalid_value', param: 'type', message: `Invalid value: '${frame.event.type}'. Supported values are: ${supported}.` });
      return;
    }
    handler(frame.event);
  }

  #newVad(): EnergyVad | undefined {
    const detection = this.#config.audio.input.turn_detection;
    // Energy VAD reads PCM16; G.711 input is buffered and committed by hand only. WebRTC input is
    // Opus, decoded to PCM16 24 kHz whatever the configured format says.
    const pcmInput = this.deps.audioOutput !== undefined || this.#config.audio.input.format.type === 'audio/pcm';
    if (detection === null || !pcmInput) return undefined;
    return new EnergyVad(vadSettings(detection), 24_000);
  }

  #sessionUpdate(event: Record<string, unknown>): undefined {
    const update = event.session;
    if (update === undefined) return this.#error(event, { code: 'missing_required_parameter', param: 'session', message: "Missing required parameter: 'session'." });
    this.deps.registry.noteSessionUpdate(this.deps.record, update);
    const problem = sessionUpdateProblem(update);
    if (problem) return this.#error(event, problem);
    const next = applySessionUpdate(this.#config, update as Record<string, unknown>);
    const voice = next.audio.output.voice;
    if (!VOICES.includes(voice)) {
      const supported = VOICES.map((v) => `'${v}'`).join(', ');
      return this.#error(event, { code: 'invalid_value', param: 'session.audio.output.voice', message: `Invalid value: '${voice}'. Supported values are: ${supported}.` });
    }
    if (this.#voiceLocked && voice !== this.#config.audio.output.voice) {
      return this.#error(event, { code: 'cannot_update_voice', param: 'session.audio.output.voice', message: "Cannot update a conversation's voice if assistant audio is present." });
    }
    if (next.model !== this.#config.model) {
      return this.#error(event, { code: 'invalid_value', param: 'session.model', message: 'The model of a session cannot be changed once it has started.' });
    }
    const detectionChanged = JSON.stringify(next.audio.input.turn_detection) !== JSON.stringify(this.#config.audio.input.turn_detection);
    const formatChanged = next.audio.input.format.type !== this.#config.audio.input.format.type;
    this.#config = next;
    if (detectionChanged || formatChanged) this.#vad = this.#newVad();
    this.#send({ type: 'session.updated', session: this.#config });
  }

  #append(event: Record<string, unknown>): undefined {
    if (typeof event.audio !== 'string') return this.#error(event, { code: 'missing_required_parameter', param: 'audio', message: "Missing required parameter: 'audio'." });
    const bytes = decodeBase64(event.audio);
    if (bytes === undefined) return this.#error(event, { code: 'invalid_value', param: 'audio', message: "Invalid 'audio'. Expected base64-encoded audio bytes." });
    if (bytes.length > MAX_APPEND_BYTES) return this.#error(event, { code: 'invalid_value', param: 'audio', message: 'Audio content exceeds the maximum of 15 MiB per event.' });
    const { rateHz, bytesPerSample } = formatRate(this.#config.audio.input.format);
    this.#ingest(bytes, (bytes.length / bytesPerSample / rateHz) * 1000);
  }

  /** WebRTC input: PCM16 24 kHz decoded from the call's incoming Opus track. */
  appendPcm(pcm: Buffer): void {
    this.#ingest(pcm, (pcm.length / 2 / 24_000) * 1000);
  }

  #ingest(bytes: Buffer, ms: number): undefined {
    this.deps.record.audioBytesIn += bytes.length;
    this.deps.record.audioMsIn += ms;
    this.#bufferMs += ms;
    for (const transition of this.#vad?.push(bytes) ?? []) {
      if (transition.kind === 'speech_started') this.#speechStarted(transition.audioStartMs);
      else this.#speechStopped(transition.audioEndMs);
    }
  }

  #speechStarted(audioStartMs: number): undefined {
    this.#speechItemId = this.deps.nextId('item_');
    this.#speechStartMs = audioStartMs;
    this.#send({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.round(audioStartMs), item_id: this.#speechItemId });
    const detection = this.#config.audio.input.turn_detection;
    // Barge-in: the server stops its own answer; the client truncates what it had not played yet.
    if (this.#response !== undefined && detection?.interrupt_response) {
      this.#response.cancel('turn_detected');
      // Over WebRTC the server stops its own track and keeps only what was heard, so the client need not truncate.
      if (this.deps.audioOutput !== undefined) this.#truncateHeard(this.#response.itemId, this.deps.audioOutput.clear());
    }
  }

  #truncateHeard(itemId: string | undefined, playedMs: number): void {
    if (itemId !== undefined && this.#conversation.has(itemId) && playedMs < this.#conversation.audioMsOf(itemId)) this.#conversation.setAudioMs(itemId, playedMs);
  }

  #outputClear(event: Record<string, unknown>): undefined {
    const output = this.deps.audioOutput;
    if (output === undefined) {
      return this.#error(event, { code: 'invalid_value', param: 'type', message: 'output_audio_buffer.clear is only supported for WebRTC connections.' });
    }
    // "Stop generating audio": the response in flight ends too, with what was heard kept.
    const response = this.#response;
    response?.cancel('client_cancelled');
    this.#truncateHeard(response?.itemId, output.clear());
  }

  #speechStopped(audioEndMs: number): undefined {
    const itemId = this.#speechItemId ?? this.deps.nextId('item_');
    this.#speechItemId = undefined;
    this.#send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(audioEndMs), item_id: itemId });
    this.#commit(itemId, Math.max(0, audioEndMs - this.#speechStartMs));
    if (this.#config.audio.input.turn_detection?.create_response && this.#response === undefined) this.#startResponse(undefined);
  }

  #commitByClient(event: Record<string, unknown>): undefined {
    if (this.#bufferMs < MIN_COMMIT_MS) {
      return this.#error(event, {
        code: 'input_audio_buffer_commit_empty',
        message: `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${this.#bufferMs.toFixed(2)}ms of audio.`,
      });
    }
    this.#vad?.reset();
    const itemId = this.#speechItemId ?? this.deps.nextId('item_');
    this.#speechItemId = undefined;
    this.#commit(itemId, this.#bufferMs);
  }

  /** Turns the buffered audio into a user item: committed, added, done, and its transcript. */
  #commit(itemId: string, speechMs: number): undefined {
    this.#bufferMs = 0;
    const item: Item = { id: itemId, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] };
    const previous = this.#conversation.add(item, speechMs);
    this.#send({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: itemId });
    this.#send({ type: 'conversation.item.added', previous_item_id: previous, item });
    this.#send({ type: 'conversation.item.done', previous_item_id: previous, item });
    // As with the real API, transcripts come only when input transcription is configured.
    if (this.#config.audio.input.transcription !== null) {
      const transcript = speechTranscript(speechMs);
      item.content = [{ type: 'input_audio', transcript }];
      this.#send({
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: itemId,
        content_index: 0,
        transcript,
        usage: { type: 'duration', seconds: Math.round(speechMs / 100) / 10 },
      });
    }
  }

  #clear(): undefined {
    this.#bufferMs = 0;
    this.#vad?.reset();
    this.#speechItemId = undefined;
    this.#send({ type: 'input_audio_buffer.cleared' });
  }

  #itemCreate(event: Record<string, unknown>): undefined {
    const problem = itemProblem(event.item);
    if (problem) return this.#error(event, problem);
    const previousId = event.previous_item_id;
    if (typeof previousId === 'string' && previousId !== 'root' && !this.#conversation.has(previousId)) {
      return this.#error(event, { code: 'invalid_value', param: 'previous_item_id', message: `Invalid 'previous_item_id': no item with id '${previousId}'.` });
    }
    const given = event.item as Record<string, unknown>;
    if (typeof given.id === 'string' && this.#conversation.has(given.id)) {
      return this.#error(event, { code: 'item_id_already_exists', param: 'item.id', message: `Item with id '${given.id}' already exists.` });
    }
    const item: Item = { ...given, id: typeof given.id === 'string' ? given.id : this.deps.nextId('item_'), object: 'realtime.item', status: 'completed', type: String(given.type) };
    const previous = this.#conversation.add(item);
    this.#send({ type: 'conversation.item.added', previous_item_id: previous, item });
    this.#send({ type: 'conversation.item.done', previous_item_id: previous, item });
  }

  #knownItem(event: Record<string, unknown>): Item | undefined {
    const id = event.item_id;
    const item = typeof id === 'string' ? this.#conversation.get(id) : undefined;
    if (item === undefined) this.#error(event, { code: 'item_not_found', param: 'item_id', message: `Item with item_id '${String(id)}' not found.` });
    return item;
  }

  #itemRetrieve(event: Record<string, unknown>): undefined {
    const item = this.#knownItem(event);
    if (item) this.#send({ type: 'conversation.item.retrieved', item });
  }

  #itemDelete(event: Record<string, unknown>): undefined {
    const item = this.#knownItem(event);
    if (item === undefined) return;
    this.#conversation.delete(item.id);
    this.#send({ type: 'conversation.item.deleted', item_id: item.id });
  }

  #itemTruncate(event: Record<string, unknown>): undefined {
    const item = this.#knownItem(event);
    if (item === undefined) return;
    const { content_index: contentIndex, audio_end_ms: audioEndMs } = event;
    if (item.type !== 'message' || item.role !== 'assistant') {
      return this.#error(event, { code: 'invalid_value', param: 'item_id', message: 'Only assistant message items can be truncated.' });
    }
    if (contentIndex !== 0) return this.#error(event, { code: 'invalid_value', param: 'content_index', message: "Invalid 'content_index': only 0 is supported." });
    if (typeof audioEndMs !== 'number' || !Number.isInteger(audioEndMs) || audioEndMs < 0) {
      return this.#error(event, { code: 'invalid_type', param: 'audio_end_ms', message: "Invalid 'audio_end_ms': expected a non-negative integer." });
    }
    const audioMs = this.#conversation.audioMsOf(item.id);
    if (audioEndMs > audioMs) {
      return this.#error(event, { code: 'invalid_value', param: 'audio_end_ms', message: `Audio content of ${Math.round(audioMs)}ms is already shorter than ${audioEndMs}ms` });
    }
    this.#conversation.setAudioMs(item.id, audioEndMs);
    // The API drops the transcript of truncated audio, so the context matches what was heard.
    item.content = [{ type: 'output_audio', transcript: '' }];
    this.#send({ type: 'conversation.item.truncated', item_id: item.id, content_index: 0, audio_end_ms: audioEndMs });
  }

  #responseCreate(event: Record<string, unknown>): undefined {
    if (this.#response !== undefined) {
      return this.#error(event, {
        code: 'conversation_already_has_active_response',
        message: `Conversation already has an active response in progress: ${this.#response.id}. Wait until the response is finished before creating a new one.`,
      });
    }
    const options = event.response;
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      return this.#error(event, { code: 'invalid_type', param: 'response', message: "Invalid type for 'response': expected an object." });
    }
    this.#startResponse(options as Record<string, unknown> | undefined);
  }

  #responseCancel(event: Record<string, unknown>): undefined {
    const active = this.#response;
    if (active === undefined || (typeof event.response_id === 'string' && event.response_id !== active.id)) {
      return this.#error(event, { code: 'response_cancel_not_active', message: 'Cancellation failed: no active response found.' });
    }
    active.cancel('client_cancelled');
  }

  #startResponse(options: Record<string, unknown> | undefined): undefined {
    const c = this.#config;
    const modalities = Array.isArray(options?.output_modalities) ? (options.output_modalities as ('audio' | 'text')[]) : c.output_modalities;
    const tools = (Array.isArray(options?.tools) ? options.tools : c.tools).filter((t): t is FunctionTool => (t as { type?: unknown }).type === 'function');
    const outOfBand = options?.conversation === 'none';
    const response = new OpenAiResponse({
      id: this.deps.nextId('resp_'),
      model: c.model,
      conversationId: outOfBand ? '' : this.#conversationId,
      modalities,
      format: c.audio.output.format,
      voice: c.audio.output.voice,
      tools,
      toolChoice: options?.tool_choice ?? c.tool_choice,
      maxOutputTokens: c.max_output_tokens,
      prompt: this.#conversation.prompt(),
      inputTokens: this.#conversation.inputTokens(),
      pace: this.deps.pace,
      send: (e) => this.#send(e),
      ...(this.deps.audioOutput === undefined ? {} : { audioOutput: this.deps.audioOutput }),
      nextId: (p) => this.deps.nextId(p),
      store: (item, audioMs) => {
        if (outOfBand) return null;
        if (audioMs > 0) this.#voiceLocked = true;
        if (this.#conversation.has(item.id)) {
          this.#conversation.setAudioMs(item.id, audioMs);
          return null;
        }
        return this.#conversation.add(item, audioMs);
      },
    });
    this.#response = response;
    void response.finished.finally(() => {
      if (this.#response === response) this.#response = undefined;
    });
  }

  /** Ends the response in flight, e.g. when the socket goes away. */
  cancel(reason: CancelReason): undefined {
    this.#response?.cancel(reason);
  }
}
