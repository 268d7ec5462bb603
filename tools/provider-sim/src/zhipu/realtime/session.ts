import type { WebSocket } from 'ws';
import { decodeBase64 } from '../../media/base64.js';
import { speechTranscript } from '../../realtime/answer.js';
import { countClientEvent, parseFrame, sendEvent } from '../../realtime/events.js';
import type { RealtimePace } from '../../realtime/pace.js';
import { pcm16DurationMs } from '../../realtime/pcm.js';
import type { RealtimeRegistry, RealtimeSessionRecord } from '../../realtime/registry.js';
import { EnergyVad } from '../../realtime/vad.js';
import { countTokens } from '../../tokens.js';
import { decodeGlmAudio } from './audio-input.js';
import { applyGlmUpdate, defaultGlmSession, GLM_INPUT_FORMATS, type GlmSession } from './config.js';
import { GlmResponse } from './responder.js';

/** GLM's server VAD is not configurable; these are the simulator's fixed settings. */
const GLM_VAD = { threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 };
const MAX_HISTORY = 200;
/** Shortest audio a commit takes. */
const MIN_COMMIT_MS = 100;

export interface GlmSessionDeps {
  socket: WebSocket;
  record: RealtimeSessionRecord;
  registry: RealtimeRegistry;
  pace: RealtimePace;
  heartbeatMs: number;
  nextId(prefix: string): string;
}

interface Turn {
  kind: 'user' | 'tool_output' | 'assistant';
  text: string;
  audioMs: number;
}

type Handler = (event: Record<string, unknown>) => void;

/**
 * One GLM-Realtime session: beta-style event names, client VAD by default (the client commits and
 * asks for a response), server VAD on request, heartbeats, and GLM's error shape. There is no
 * `conversation.item.truncate`: it is an unknown event like any other.
 */
export class GlmRealtimeSession {
  #config: GlmSession;
  #vad: EnergyVad | undefined;
  #bufferMs = 0;
  #speechStartMs = 0;
  #videoFrames = 0;
  readonly #history: Turn[] = [];
  #response: GlmResponse | undefined;
  readonly #handlers: Record<string, Handler>;

  constructor(private readonly deps: GlmSessionDeps) {
    this.#config = defaultGlmSession(deps.record.id);
    deps.record.model = this.#config.model;
    this.#handlers = {
      'session.update': (e) => this.#sessionUpdate(e),
      'input_audio_buffer.append': (e) => this.#append(e),
      'input_audio_buffer.append_video_frame': (e) => this.#videoFrame(e),
      'input_audio_buffer.commit': () => this.#commitByClient(),
      'input_audio_buffer.clear': () => this.#clear(),
      'conversation.item.create': (e) => this.#itemCreate(e),
      'response.create': (e) => this.#responseCreate(e),
      'response.cancel': () => this.#response?.cancel('client_cancelled'),
    };
    const heartbeat = setInterval(() => this.#heartbeat(), deps.heartbeatMs);
    deps.socket.on('message', (data, isBinary) => this.#onFrame(data as Buffer, isBinary));
    deps.socket.on('close', () => {
      clearInterval(heartbeat);
      this.#response?.cancel('client_cancelled');
    });
    this.#send({ type: 'session.created', session: this.#config });
    this.#heartbeat();
  }

  #send(event: Record<string, unknown>): undefined {
    sendEvent(this.deps.socket, { event_id: this.deps.nextId('event'), ...event });
  }

  /** GLM's heartbeat is the bare `{"type":"heartbeat"}`, without an event id. */
  #heartbeat(): undefined {
    sendEvent(this.deps.socket, { type: 'heartbeat' });
  }

  #error(code: string, message: string): undefined {
    this.deps.record.clientErrors += 1;
    this.#send({ type: 'error', error: { type: 'invalid_request_error', code, message } });
  }

  #onFrame(data: Buffer, isBinary: boolean): undefined {
    const frame = parseFrame(data, isBinary);
    countClientEvent(this.deps.record, false);
    if (!frame.ok) {
      if (frame.reason === 'type') return this.#error('invalid_event', "The 'type' field is missing.");
      return this.#error('invalid_event', frame.reason === 'binary' ? 'binary frames are not supported; send JSON text' : 'the message is not valid JSON');
    }
    const handler = this.#handlers[frame.event.type];
    if (handler === undefined) return this.#error('invalid_event', `unsupported event type: ${frame.event.type}`);
    handler(frame.event);
  }

  #sessionUpdate(event: Record<string, unknown>): undefined {
    this.deps.registry.noteSessionUpdate(this.deps.record, event.session);
    const result = applyGlmUpdate(this.#config, event.session);
    if (!result.ok) return this.#error(result.code, result.message);
    this.deps.registry.noteIgnored(this.deps.record, result.ignored);
    const formatChanged = result.session.input_audio_format !== this.#config.input_audio_format;
    const vadChanged = result.session.turn_detection.type !== this.#config.turn_detection.type;
    if (result.session.beta_fields.chat_mode === 'audio' && this.#config.beta_fields.chat_mode !== 'audio') this.#history.length = 0; // video → audio drops history
    this.#config = result.session;
    this.deps.record.model = result.session.model;
    if (formatChanged || vadChanged) {
      const rateHz = GLM_INPUT_FORMATS[this.#config.input_audio_format]?.rateHz ?? 16_000;
      this.#vad = this.#config.turn_detection.type === 'server_vad' ? new EnergyVad(GLM_VAD, rateHz) : undefined;
      this.#bufferMs = 0;
    }
    this.#send({ type: 'session.updated', session: this.#config });
    this.#heartbeat();
  }

  #append(event: Record<string, unknown>): undefined {
    const bytes = typeof event.audio === 'string' ? decodeBase64(event.audio) : undefined;
    if (bytes === undefined || bytes.length === 0) return this.#error('invalid_audio', 'audio must be non-empty base64');
    const decoded = decodeGlmAudio(bytes, this.#config.input_audio_format);
    if (!decoded.ok) return this.#error('invalid_audio_format', decoded.message);
    const ms = pcm16DurationMs(decoded.pcm.length, decoded.rateHz);
    this.deps.record.audioBytesIn += bytes.length;
    this.deps.record.audioMsIn += ms;
    this.#bufferMs += ms;
    for (const transition of this.#vad?.push(decoded.pcm) ?? []) {
      // GLM's speech events carry no times and no item (protocols.md §3.3), unlike OpenAI's.
      if (transition.kind === 'speech_started') {
        this.#speechStartMs = transition.audioStartMs;
        this.#send({ type: 'input_audio_buffer.speech_started' });
        // GLM's server VAD handles interruption itself.
        this.#response?.cancel('turn_detected');
      } else {
        this.#send({ type: 'input_audio_buffer.speech_stopped' });
        this.#commit(Math.max(0, transition.audioEndMs - this.#speechStartMs));
        if (this.#response === undefined) this.#startResponse(event);
      }
    }
  }

  #videoFrame(event: Record<string, unknown>): undefined {
    if (typeof event.video_frame !== 'string' || decodeBase64(event.video_frame) === undefined) return this.#error('invalid_video_frame', 'video_frame must be base64 JPEG');
    this.#videoFrames += 1;
  }

  #commitByClient(): undefined {
    if (this.#bufferMs < MIN_COMMIT_MS) return this.#error('input_audio_buffer_commit_empty', 'no valid audio was appended before commit');
    this.#vad?.reset();
    this.#commit(this.#bufferMs);
  }

  #commit(speechMs: number): undefined {
    this.#bufferMs = 0;
    const itemId = this.deps.nextId('item');
    const transcript = speechTranscript(speechMs);
    this.#remember({ kind: 'user', text: transcript, audioMs: speechMs });
    this.#send({ type: 'input_audio_buffer.committed', item_id: itemId });
    this.#send({
      type: 'conversation.item.created',
      item: { id: itemId, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null }] },
    });
    this.#send({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, transcript });
  }

  #clear(): undefined {
    this.#bufferMs = 0;
    this.#vad?.reset();
    this.#send({ type: 'input_audio_buffer.cleared' });
  }

  #itemCreate(event: Record<string, unknown>): undefined {
    const item = event.item as Record<string, unknown> | undefined;
    const id = this.deps.nextId('item');
    if (item?.type === 'function_call_output') {
      if (typeof item.output !== 'string' || item.output === '') return this.#error('invalid_item', 'function_call_output needs a non-empty output');
      this.#remember({ kind: 'tool_output', text: item.output, audioMs: 0 });
      return this.#send({ type: 'conversation.item.created', item: { id, object: 'realtime.item', type: 'function_call_output', status: 'completed', output: item.output } });
    }
    const content = Array.isArray(item?.content) ? (item.content as Record<string, unknown>[]) : [];
    const text = content.map((p) => (typeof p.text === 'string' ? p.text : '')).join(' ').trim();
    if (item?.type !== 'message' || text === '') return this.#error('invalid_item', 'conversation.item.create needs a message with text or a function_call_output');
    const role = item.role === 'assistant' ? 'assistant' : 'user';
    this.#remember({ kind: role, text, audioMs: 0 });
    this.#send({ type: 'conversation.item.created', item: { id, object: 'realtime.item', type: 'message', status: 'completed', role, content } });
  }

  #responseCreate(event: Record<string, unknown>): undefined {
    if (this.#response !== undefined) return this.#error('response_in_progress', 'a response is already in progress');
    if (this.#config.beta_fields.chat_mode !== 'audio' && this.#videoFrames === 0) {
      return this.#error('video_model_query_error', 'video mode needs at least one video frame before response.create');
    }
    this.#startResponse(event);
  }

  #startResponse(trigger: Record<string, unknown>): undefined {
    const last = [...this.#history].reverse().find((t) => t.kind !== 'assistant');
    const prompt = last === undefined ? {} : last.kind === 'tool_output' ? { toolOutput: last.text } : { userText: last.text };
    const inputTokens = this.#history.reduce((sum, t) => ({ text: sum.text + countTokens(t.text), audio: sum.audio + Math.ceil(t.audioMs / 100) }), { text: 0, audio: 0 });
    const response = new GlmResponse({
      id: this.deps.nextId('resp'),
      model: this.#config.model,
      tools: this.#config.tools,
      prompt,
      inputTokens,
      clientTimestamp: typeof trigger.client_timestamp === 'number' ? trigger.client_timestamp : undefined,
      pace: this.deps.pace,
      send: (e) => this.#send(e),
    });
    this.#response = response;
    void response.finished.finally(() => {
      if (this.#response === response) this.#response = undefined;
    });
  }

  #remember(turn: Turn): undefined {
    this.#history.push(turn);
    if (this.#history.length > MAX_HISTORY) this.#history.shift();
  }
}
