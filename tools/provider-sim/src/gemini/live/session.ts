import type { WebSocket } from 'ws';
import type { Fault } from '../../faults.js';
import { decodeBase64 } from '../../media/base64.js';
import { speechTranscript } from '../../realtime/answer.js';
import { countClientEvent } from '../../realtime/events.js';
import type { RealtimePace } from '../../realtime/pace.js';
import { isPlainObject } from '../../realtime/params.js';
import { pcm16DurationMs } from '../../realtime/pcm.js';
import type { RealtimeRegistry, RealtimeSessionRecord } from '../../realtime/registry.js';
import { EnergyVad } from '../../realtime/vad.js';
import { countTokens, tokenize } from '../../tokens.js';
import { GeminiAnswer } from './answer.js';
import { applySetup, type LiveConfig } from './setup.js';
import { CLIENT_MESSAGE, camelKeys, closeReason, INVALID_ARGUMENT, sendMessage, unknownField } from './wire.js';

const MAX_HISTORY = 200;
/** The simulator's energy threshold (0.5 ≈ -40 dBFS, see `realtime/vad.ts`); Gemini's detection takes sensitivities instead. */
const VAD_THRESHOLD = 0.5;
const AUDIO_MIME = /^audio\/pcm(?:;\s*rate=(\d{4,6}))?$/;
/** Gemini's input rate when the MIME type names none [V: 16 kHz input]. */
const DEFAULT_INPUT_RATE_HZ = 16_000;
/** `realtime_go_away`: the time left that `goAway` announces before the socket closes. */
const GO_AWAY_LEFT_MS = 1_000;

export interface GeminiLiveDeps {
  socket: WebSocket;
  record: RealtimeSessionRecord;
  registry: RealtimeRegistry;
  pace: RealtimePace;
  /** The API version of the path (`v1beta`), as Gemini's messages name it. */
  apiVersion: string;
  fault: Fault | undefined;
  nextId(prefix: string): string;
}

interface Turn {
  kind: 'user' | 'tool_output' | 'assistant';
  text: string;
  audioMs: number;
}

/**
 * One Gemini Live session (BidiGenerateContent): `setup` first, answered by `setupComplete`;
 * `realtimeInput` audio at 16 kHz with the simulator's energy detection standing in for Gemini's
 * automatic activity detection (or the client's `activityStart` / `activityEnd` when that is
 * disabled); `clientContent` turns; `toolResponse`s. What Gemini refuses closes the socket with
 * its codes: 1007 for an invalid message, 1008 for an unknown model.
 */
export class GeminiLiveSession {
  #config: LiveConfig | undefined;
  #vad: EnergyVad | undefined;
  #vadRateHz = DEFAULT_INPUT_RATE_HZ;
  /** Manual turns: between the client's `activityStart` and `activityEnd`. */
  #inActivity = false;
  #turnAudioMs = 0;
  #speechStartMs = 0;
  readonly #history: Turn[] = [];
  #answer: GeminiAnswer | undefined;
  /** Function calls of the turn waiting for their results: id → name, and the results so far. */
  #pendingCalls: Map<string, string> | undefined;
  #toolOutputs: string[] = [];
  #closed = false;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(private readonly deps: GeminiLiveDeps) {
    deps.socket.on('message', (data, isBinary) => this.#onFrame(data as Buffer, isBinary));
    deps.socket.on('close', () => {
      this.#closed = true;
      for (const timer of this.#timers) clearTimeout(timer);
      this.#answer?.interrupt();
    });
  }

  #send(message: object): void {
    sendMessage(this.deps.socket, message);
  }

  /** Gemini's refusal: the socket is closed with `code` and a reason, and nothing more is said. */
  #refuse(code: 1007 | 1008 | 1011, reason: string): undefined {
    if (this.#closed) return;
    this.#closed = true;
    this.deps.record.clientErrors += 1;
    this.#answer?.interrupt();
    this.deps.socket.close(code, closeReason(reason));
  }

  #onFrame(data: Buffer, isBinary: boolean): undefined {
    if (this.#closed) return;
    countClientEvent(this.deps.record, false);
    let message: unknown;
    try {
      // Text and binary frames alike carry JSON (the SDKs send text; Google's front end takes both).
      message = JSON.parse(data.toString('utf8'));
    } catch {
      return this.#refuse(1007, `Invalid JSON payload received.${isBinary ? ' (binary frame)' : ''}`);
    }
    if (!isPlainObject(message)) return this.#refuse(1007, 'Invalid JSON payload received. Expected an object.');
    const unknown = unknownField(message, CLIENT_MESSAGE);
    if (unknown !== undefined) return this.#refuse(1007, unknown);
    const kinds = Object.keys(message);
    // One kind per message: the fields are a oneof of BidiGenerateContentClientMessage (UNVERIFIED that Google closes for two).
    if (kinds.length !== 1) return this.#refuse(1007, INVALID_ARGUMENT);
    const body = camelKeys(Object.values(message)[0]);
    const kind = Object.keys(camelKeys(message) as object)[0];
    if (!isPlainObject(body)) return this.#refuse(1007, INVALID_ARGUMENT);
    if (this.#config === undefined && kind !== 'setup') return this.#refuse(1007, `${INVALID_ARGUMENT} (setup must be the first message)`);
    if (kind === 'setup') return this.#setup(body);
    if (kind === 'realtimeInput') return this.#realtimeInput(body);
    if (kind === 'clientContent') return this.#clientContent(body);
    if (kind === 'toolResponse') return this.#toolResponse(body);
  }

  #setup(body: Record<string, unknown>): undefined {
    if (this.#config !== undefined) return this.#refuse(1007, `${INVALID_ARGUMENT} (setup was already sent)`);
    this.deps.registry.noteSessionUpdate(this.deps.record, body);
    const result = applySetup(body, this.deps.apiVersion);
    if (!result.ok) return this.#refuse(result.code, result.reason);
    this.#config = result.config;
    this.deps.record.model = result.config.model;
    if (result.config.automaticActivity) this.#vad = this.#newVad(DEFAULT_INPUT_RATE_HZ);
    this.#send({ setupComplete: {} });
    if (this.deps.fault?.kind === 'realtime_go_away') this.#goAwayLater(this.deps.fault.delayMs ?? 0);
  }

  #newVad(rateHz: number): EnergyVad {
    const config = this.#config as LiveConfig;
    this.#vadRateHz = rateHz;
    return new EnergyVad({ threshold: VAD_THRESHOLD, prefixPaddingMs: config.prefixPaddingMs, silenceDurationMs: config.silenceDurationMs }, rateHz);
  }

  /** `realtime_go_away`: the connection's time limit, as Gemini announces it (~60 s ahead on the real service [V]). */
  #goAwayLater(delayMs: number): void {
    this.#timers.push(
      setTimeout(() => {
        this.#send({ goAway: { timeLeft: `${GO_AWAY_LEFT_MS / 1000}s` } });
        // The close code when the time runs out is not documented (Gemini says "terminated as ABORTED"); UNVERIFIED.
        this.#timers.push(setTimeout(() => this.#refuse(1011, 'Deadline expired before operation could complete. (simulated time limit)'), GO_AWAY_LEFT_MS));
      }, delayMs),
    );
  }

  #realtimeInput(input: Record<string, unknown>): undefined {
    const config = this.#config as LiveConfig;
    if (input.activityStart !== undefined) {
      // The signals belong to manual turns only ("can only be sent if automatic activity detection is disabled" [SDK]).
      if (config.automaticActivity) return this.#refuse(1007, `${INVALID_ARGUMENT} (activityStart needs automatic activity detection disabled)`);
      this.#inActivity = true;
      this.#turnAudioMs = 0;
      if (config.interrupts) this.#interrupt();
    }
    if (input.audio !== undefined && !this.#audio(input.audio)) return;
    for (const chunk of Array.isArray(input.mediaChunks) ? input.mediaChunks : []) {
      if (isPlainObject(chunk) && String(chunk.mimeType).startsWith('audio/') && !this.#audio(chunk)) return;
    }
    if (typeof input.text === 'string' && input.text !== '') {
      this.#remember({ kind: 'user', text: input.text, audioMs: 0 });
      this.#startAnswer({ userText: input.text });
    }
    if (input.activityEnd !== undefined) {
      if (config.automaticActivity || !this.#inActivity) return this.#refuse(1007, `${INVALID_ARGUMENT} (activityEnd without activityStart)`);
      this.#inActivity = false;
      if (this.#turnAudioMs > 0) this.#userTurnEnded(this.#turnAudioMs);
    }
    if (input.audioStreamEnd === true && config.automaticActivity && this.#vad?.speaking) {
      // The microphone went off mid-speech: what was heard is the turn.
      this.#vad.reset();
      this.#userTurnEnded(this.#turnAudioMs);
    }
  }

  /** One audio blob; false when it was refused (the socket is closing). */
  #audio(blob: unknown): boolean {
    const config = this.#config as LiveConfig;
    const mimeType = isPlainObject(blob) && typeof blob.mimeType === 'string' ? blob.mimeType : '';
    const match = AUDIO_MIME.exec(mimeType);
    const bytes = isPlainObject(blob) && typeof blob.data === 'string' ? decodeBase64(blob.data) : undefined;
    if (match === null || bytes === undefined || bytes.length % 2 !== 0) {
      this.#refuse(1007, INVALID_ARGUMENT);
      return false;
    }
    const rateHz = Number(match[1] ?? DEFAULT_INPUT_RATE_HZ);
    const ms = pcm16DurationMs(bytes.length, rateHz);
    const record = this.deps.record;
    record.audioBytesIn += bytes.length;
    record.audioMsIn += ms;
    record.inputAudioFormat = mimeType;
    if (!config.automaticActivity) {
      // Outside an activity the audio is not part of a turn (UNVERIFIED what Gemini does with it).
      if (this.#inActivity) this.#turnAudioMs += ms;
      return true;
    }
    if (this.#vad === undefined || this.#vadRateHz !== rateHz) this.#vad = this.#newVad(rateHz);
    if (this.#vad.speaking) this.#turnAudioMs += ms;
    for (const transition of this.#vad.push(bytes)) {
      if (transition.kind === 'speech_started') {
        this.#speechStartMs = transition.audioStartMs;
        this.#turnAudioMs = 0;
        if (config.interrupts) this.#interrupt();
      } else {
        this.#userTurnEnded(Math.max(0, transition.audioEndMs - this.#speechStartMs));
      }
    }
    return true;
  }

  /** The user's turn ended (detection, `activityEnd`): its transcript if asked for, then the answer. */
  #userTurnEnded(speechMs: number): void {
    const config = this.#config as LiveConfig;
    this.#turnAudioMs = 0;
    const transcript = speechTranscript(speechMs);
    this.#remember({ kind: 'user', text: transcript, audioMs: speechMs });
    if (config.inputTranscription) {
      // In pieces, as Gemini streams it; no `finished` flag, which the real service does not always send (UNVERIFIED).
      const tokens = tokenize(transcript);
      const half = Math.ceil(tokens.length / 2);
      for (const piece of [tokens.slice(0, half).join(''), tokens.slice(half).join('')]) {
        if (piece !== '') this.#send({ serverContent: { inputTranscription: { text: piece } } });
      }
    }
    this.#startAnswer({ userText: transcript });
  }

  #clientContent(content: Record<string, unknown>): undefined {
    const turns = content.turns ?? [];
    if (!Array.isArray(turns)) return this.#refuse(1007, INVALID_ARGUMENT);
    for (const turn of turns) {
      const parts = isPlainObject(turn) && Array.isArray(turn.parts) ? turn.parts : undefined;
      if (!isPlainObject(turn) || (turn.role !== 'user' && turn.role !== 'model') || parts === undefined || parts.length === 0) return this.#refuse(1007, INVALID_ARGUMENT);
      if (!parts.every((p) => isPlainObject(p) && typeof p.text === 'string')) return this.#refuse(1007, `${INVALID_ARGUMENT} (simulated: only text parts are simulated in clientContent)`);
      this.#remember({ kind: turn.role === 'user' ? 'user' : 'assistant', text: parts.map((p) => (p as { text: string }).text).join(' '), audioMs: 0 });
    }
    // "A message here will interrupt any current model generation" (the API reference's words; UNVERIFIED here).
    if (turns.length > 0) this.#interrupt();
    if (content.turnComplete === true) {
      const last = [...this.#history].reverse().find((t) => t.kind !== 'assistant');
      this.#startAnswer(last?.kind === 'tool_output' ? { toolOutputs: [last.text] } : { userText: last?.text });
    }
  }

  #toolResponse(response: Record<string, unknown>): undefined {
    const answers = Array.isArray(response.functionResponses) ? response.functionResponses : [];
    const pending = this.#pendingCalls;
    for (const answer of answers) {
      const id = isPlainObject(answer) ? answer.id : undefined;
      // A result for no call the model is waiting on (or under another name) is refused (UNVERIFIED how).
      if (pending === undefined || typeof id !== 'string' || !pending.has(id) || pending.get(id) !== (answer as { name?: unknown }).name) return this.#refuse(1007, INVALID_ARGUMENT);
      pending.delete(id);
      const result = (answer as { response?: unknown }).response;
      const output = isPlainObject(result) && typeof result.output === 'string' ? result.output : JSON.stringify(result ?? {});
      this.#toolOutputs.push(output);
      this.#remember({ kind: 'tool_output', text: output, audioMs: 0 });
    }
    if (pending !== undefined && pending.size === 0) {
      // Every result is in: the model's turn goes on.
      this.#pendingCalls = undefined;
      const outputs = this.#toolOutputs;
      this.#toolOutputs = [];
      this.#startAnswer({ toolOutputs: outputs });
    }
  }

  /** The user (or the client's content) cut in: the answer stops, calls still waiting are cancelled. */
  #interrupt(): void {
    if (this.#answer !== undefined) {
      // Forgotten at once: the next turn may end in the same read (activityStart, audio, activityEnd), and is answered.
      this.#answer.interrupt();
      this.#answer = undefined;
      return;
    }
    if (this.#pendingCalls !== undefined) {
      this.#send({ toolCallCancellation: { ids: [...this.#pendingCalls.keys()] } });
      this.#pendingCalls = undefined;
      this.#toolOutputs = [];
      this.#send({ serverContent: { interrupted: true } });
      this.#send({ serverContent: { turnComplete: true } });
    }
  }

  #startAnswer(prompt: { userText?: string | undefined; toolOutputs?: readonly string[] }): void {
    // One answer at a time: a turn that ends while Gemini speaks without interruption is not answered (the simulator's simplification).
    if (this.#answer !== undefined || this.#closed) return;
    const config = this.#config as LiveConfig;
    const inputTokens = this.#history.reduce((sum, t) => ({ text: sum.text + countTokens(t.text), audio: sum.audio + Math.ceil(t.audioMs / 40) }), { text: 0, audio: 0 });
    const answer = new GeminiAnswer({
      model: config.model,
      tools: config.tools,
      prompt: { ...(prompt.userText !== undefined ? { userText: prompt.userText } : {}), ...(prompt.toolOutputs !== undefined ? { toolOutputs: prompt.toolOutputs } : {}) },
      inputTokens,
      outputTranscription: config.outputTranscription,
      pace: this.deps.pace,
      nextId: this.deps.nextId,
      send: (message) => this.#send(message),
    });
    this.#answer = answer;
    void answer.finished.then((outcome) => {
      if (this.#answer === answer) this.#answer = undefined;
      if (outcome.kind === 'tool_call' && !this.#closed) this.#pendingCalls = outcome.calls;
    });
  }

  #remember(turn: Turn): void {
    this.#history.push(turn);
    if (this.#history.length > MAX_HISTORY) this.#history.shift();
  }
}
