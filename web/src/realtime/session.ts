import { bytesToBase64, base64ToBytes, samplesToMs } from './pcm.js';
import type { Playback, StoppedAt } from './playback.js';
import { heardPart, type Transcript } from './transcript.js';
import type { ClientEvent, EventTransport, ServerEvent, TransportHandlers } from './transport.js';

/**
 * One realtime session, whatever carries its events: the GA protocol as the page speaks it.
 * It configures the session, feeds the microphone in, plays and transcribes the answers, and when
 * the user speaks over the model stops playback and tells the server how much was heard
 * (`conversation.item.truncate`). Reconnecting is not its business (see call.ts): a session lives
 * and dies with one transport.
 */

export type TalkMode = 'vad' | 'ptt';

export interface SessionSettings {
  /** GA `audio.output.voice`; undefined leaves the provider's default. */
  voice: string | undefined;
  mode: TalkMode;
}

/** The GA error a server sent (`error.error`). */
export interface SessionError {
  type: string;
  code: string | null;
  message: string;
}

export interface SessionHooks {
  /** `session.created` arrived and the session was configured (and re-seeded). */
  ready(): void;
  /** A GA error event that is the user's news (not one caused by the page's own bookkeeping). */
  error(error: SessionError): void;
  /** Something the view shows changed (response state, voice lock…). */
  changed(): void;
}

export interface SessionOptions {
  playback: Playback;
  transcript: Transcript;
  settings: SessionSettings;
  /** Items to create once the session exists: the conversation of an earlier session. */
  seed: readonly ClientEvent[];
  hooks: SessionHooks;
  /** Every control event sent, for the test hook's log (audio appends are not passed). */
  sent?(event: ClientEvent): void;
  /** Every server event's type, for the test hook's counters. */
  received?(type: string): void;
}

/** The transcription model asked for on connect; the relay maps it for providers with their own. */
export const TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';
/** Audio is not queued behind a socket that is this far behind: late speech is worse than lost speech. */
const MAX_BUFFERED_BYTES = 256 * 1024;

/**
 * GA `session.update.session` for these settings (type:'realtime', audio.input/output). Over
 * WebRTC (`media`) the audio format is the codec the SDP negotiated, so none is named.
 */
export function sessionConfig(settings: SessionSettings, media = false): Record<string, unknown> {
  const format = media ? {} : { format: { type: 'audio/pcm', rate: 24_000 } };
  return {
    type: 'realtime',
    output_modalities: ['audio'],
    audio: {
      input: {
        ...format,
        transcription: { model: TRANSCRIPTION_MODEL },
        turn_detection: settings.mode === 'vad' ? { type: 'server_vad', create_response: true, interrupt_response: true } : null,
      },
      output: { ...format, ...(settings.voice ? { voice: settings.voice } : {}) },
    },
  };
}

export class RealtimeSession {
  readonly #options: SessionOptions;
  #transport: EventTransport | undefined;
  #settings: SessionSettings;
  #ready = false;
  /** The model has spoken in this session: GA refuses a voice change from now on. */
  #voiceLocked = false;
  #responseId: string | undefined;
  /** The assistant item the active response is producing. */
  #responseItemId: string | undefined;
  /** Items whose audio the user cut off: late deltas of them are not played. */
  readonly #cut = new Set<string>();
  /** Answer audio that reached the page, per item, in 24 kHz samples: the whole a cut is a share of. */
  readonly #receivedSamples = new Map<string, number>();
  /** Event ids of truncates: an error about one is bookkeeping, not news. */
  readonly #quiet = new Set<string>();
  #lastErrorCode: string | null = null;
  #eventCounter = 0;
  #audioBytesSent = 0;
  #seeded = 0;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#settings = { ...options.settings };
  }

  /** Handlers to give the transport factory; `attach` then hands over the transport it made. */
  handlers(closed: TransportHandlers['closed']): TransportHandlers {
    return { open: () => undefined, event: (event) => this.#handle(event), closed };
  }

  attach(transport: EventTransport): void {
    this.#transport = transport;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get voiceLocked(): boolean {
    return this.#voiceLocked;
  }

  get responding(): boolean {
    return this.#responseId !== undefined;
  }

  get audioBytesSent(): number {
    return this.#audioBytesSent;
  }

  /** How many earlier items this session was given. */
  get seeded(): number {
    return this.#seeded;
  }

  /** The code of the last GA error, which tells a session that ended (`session_expired`…) from a cut. */
  get lastErrorCode(): string | null {
    return this.#lastErrorCode;
  }

  get settings(): SessionSettings {
    return this.#settings;
  }

  /** Where the model's voice plays: the transport's media track (WebRTC), else the page's worklet. */
  get #playback(): Playback {
    return this.#transport?.media?.voice ?? this.#options.playback;
  }

  /**
   * 20 ms of PCM16 24 kHz from the microphone. Dropped before the session exists, while the link
   * lags, and over WebRTC, where the microphone is a media track and not events.
   */
  appendAudio(pcm: ArrayBuffer): boolean {
    const transport = this.#transport;
    if (!this.#ready || !transport || transport.media || transport.bufferedBytes > MAX_BUFFERED_BYTES) return false;
    if (!transport.send({ type: 'input_audio_buffer.append', audio: bytesToBase64(new Uint8Array(pcm)) })) return false;
    this.#audioBytesSent += pcm.byteLength;
    return true;
  }

  /**
   * Applies new settings. A voice change after the model has spoken is refused by GA; returns
   * false then, and the caller offers a new session.
   */
  configure(settings: SessionSettings): boolean {
    const refused = settings.voice !== this.#settings.voice && this.#voiceLocked;
    const modeChanged = settings.mode !== this.#settings.mode;
    this.#settings = { mode: settings.mode, voice: refused ? this.#settings.voice : settings.voice };
    if (this.#ready && (modeChanged || !refused)) this.#sendConfig();
    return !refused;
  }

  /**
   * Push-to-talk pressed: the model stops talking and a fresh input buffer starts. The clear goes
   * out before any of the new speech does; the truncate follows once playback has stopped.
   */
  talkStart(): void {
    if (this.#transport?.media) {
      // interrupt() sends the cancel and the output clear at once when the voice is playing.
      if (!this.#playback.playing && this.#responseId !== undefined) this.#send({ type: 'response.cancel' });
      void this.interrupt();
      this.#send({ type: 'input_audio_buffer.clear' });
      return;
    }
    if (this.#responseId !== undefined) this.#send({ type: 'response.cancel' });
    this.#send({ type: 'input_audio_buffer.clear' });
    void this.interrupt();
  }

  /** Push-to-talk released: the held speech is the user's turn; the model answers it. */
  talkEnd(): void {
    this.#send({ type: 'input_audio_buffer.commit' });
    this.#send({ type: 'response.create' });
  }

  /** Push-to-talk released too soon to be speech: nothing is sent to the model. */
  talkCancel(): void {
    this.#send({ type: 'input_audio_buffer.clear' });
  }

  /**
   * Stops the model's voice now and reports how much of its item was heard, so the server's
   * transcript matches what the user actually heard (GA `conversation.item.truncate`).
   * `cancel`: false when the server's VAD cut in, having cancelled the response itself.
   */
  async interrupt(cancel = true): Promise<void> {
    const playback = this.#playback;
    // Marked before waiting: deltas that arrive meanwhile must not start the voice again.
    const playingId = playback.currentItemId;
    if (playingId) this.#cut.add(playingId);
    if (this.#responseItemId) this.#cut.add(this.#responseItemId);
    if (!playback.playing) return;
    if (this.#transport?.media) {
      // Over WebRTC the server knows what went out on the track and truncates the item itself.
      // Audio already generated sits in its output buffer and would play on after the response
      // ended, so the page asks for the clear (GA: after a cancel, which the server's own VAD
      // makes when it cut in: `cancel` false). Errors about these are bookkeeping, not news.
      if (cancel && this.#responseId !== undefined) this.#quietly({ type: 'response.cancel' });
      this.#quietly({ type: 'output_audio_buffer.clear' });
      const itemId = playback.currentItemId;
      await playback.stop();
      const line = itemId ? this.#options.transcript.find(itemId) : undefined;
      if (line) this.#options.transcript.update(line, { state: 'interrupted' });
      return;
    }
    const stopped = await playback.stop();
    if (!stopped) return;
    this.#cut.add(stopped.itemId);
    this.#cutOff(stopped);
    this.#quietly({ type: 'conversation.item.truncate', item_id: stopped.itemId, content_index: 0, audio_end_ms: samplesToMs(stopped.playedSamples) });
  }

  /**
   * The session is over (the connection dropped, a hang-up, a new session): an answer still being
   * spoken was cut off here just as if the user had spoken over it. It is marked at once, so a
   * re-seed that follows straight away does not hand it on as said in full.
   */
  async abandon(): Promise<void> {
    const itemId = this.#responseItemId ?? this.#playback.currentItemId;
    const line = itemId ? this.#options.transcript.find(itemId) : undefined;
    if (line?.state === 'speaking') this.#options.transcript.update(line, { state: 'interrupted' });
    const stopped = await this.#playback.stop();
    if (stopped && line?.state === 'interrupted' && stopped.itemId === line.itemId) this.#cutOff(stopped);
  }

  /** Marks the answer `stopped` cut off, with the share of it its played audio says was heard. */
  #cutOff(stopped: StoppedAt): void {
    const line = this.#options.transcript.find(stopped.itemId);
    if (!line) return;
    const received = this.#receivedSamples.get(stopped.itemId) ?? 0;
    const heard = received > 0 ? heardPart(line.text, stopped.playedSamples / received) : undefined;
    this.#options.transcript.update(line, { state: 'interrupted', ...(heard !== undefined ? { heard } : {}) });
  }

  /** Sends an event whose error, should one come, is not the user's news. */
  #quietly(event: ClientEvent): void {
    const eventId = this.#send(event);
    if (eventId) this.#quiet.add(eventId);
  }

  #sendConfig(): void {
    this.#send({ type: 'session.update', session: sessionConfig(this.#settings, this.#transport?.media !== undefined) });
  }

  /** Sends a control event with an `event_id`, so an error about it can be traced; returns the id. */
  #send(event: ClientEvent): string | undefined {
    const eventId = `evt_page_${++this.#eventCounter}`;
    const withId = { ...event, event_id: eventId };
    if (!this.#transport?.send(withId)) return undefined;
    this.#options.sent?.(withId);
    return eventId;
  }

  #handle(event: ServerEvent): void {
    const transcript = this.#options.transcript;
    this.#options.received?.(event.type);
    switch (event.type) {
      case 'session.created': {
        this.#sendConfig();
        for (const item of this.#options.seed) this.#send(item);
        this.#seeded = this.#options.seed.length;
        this.#ready = true;
        this.#options.hooks.ready();
        break;
      }
      case 'error': {
        const error = readError(event);
        this.#lastErrorCode = error.code;
        const cause = str(asRecord(event.error)?.event_id);
        if (cause && this.#quiet.has(cause)) break;
        if (error.code === 'cannot_update_voice') this.#voiceLocked = true;
        this.#options.hooks.error(error);
        break;
      }
      case 'input_audio_buffer.speech_started': {
        // The user talks over the model: stop its voice at once (the server cancels the response).
        if (this.#playback.playing) void this.interrupt(false);
        const itemId = str(event.item_id);
        if (itemId) transcript.speech('user', itemId, 'listening');
        break;
      }
      case 'input_audio_buffer.speech_stopped':
      case 'input_audio_buffer.committed': {
        const itemId = str(event.item_id);
        if (!itemId) break;
        const line = transcript.speech('user', itemId, 'transcribing');
        if (line.state === 'listening') transcript.update(line, { state: 'transcribing' });
        break;
      }
      case 'conversation.item.input_audio_transcription.delta': {
        const line = this.#line('user', event);
        if (line) transcript.update(line, { text: line.text + (str(event.delta) ?? '') });
        break;
      }
      case 'conversation.item.input_audio_transcription.completed': {
        const line = this.#line('user', event);
        if (line) transcript.update(line, { text: str(event.transcript) ?? line.text, state: 'done' });
        break;
      }
      case 'conversation.item.input_audio_transcription.failed': {
        const line = this.#line('user', event);
        if (line) transcript.update(line, { state: 'failed' });
        break;
      }
      case 'response.created': {
        this.#responseId = str(asRecord(event.response)?.id) ?? 'response';
        this.#options.hooks.changed();
        break;
      }
      case 'response.output_item.added': {
        const item = asRecord(event.item);
        const itemId = str(item?.id);
        if (itemId && item?.type === 'message' && item.role === 'assistant') {
          this.#responseItemId = itemId;
          transcript.speech('assistant', itemId, 'speaking');
        }
        break;
      }
      case 'response.output_audio.delta': {
        const itemId = str(event.item_id);
        const delta = str(event.delta);
        if (!itemId || !delta || this.#cut.has(itemId)) break;
        if (!this.#voiceLocked) {
          this.#voiceLocked = true;
          this.#options.hooks.changed();
        }
        let pcm: Uint8Array;
        try {
          pcm = base64ToBytes(delta);
        } catch {
          // Not base64: nothing to play.
          break;
        }
        this.#receivedSamples.set(itemId, (this.#receivedSamples.get(itemId) ?? 0) + (pcm.byteLength >> 1));
        this.#playback.push(itemId, pcm);
        break;
      }
      case 'response.output_audio_transcript.delta':
      case 'response.output_text.delta': {
        const line = this.#line('assistant', event);
        if (line) transcript.update(line, { text: line.text + (str(event.delta) ?? '') });
        break;
      }
      case 'response.output_audio_transcript.done':
      case 'response.output_text.done': {
        const line = this.#line('assistant', event);
        const text = str(event.transcript) ?? str(event.text);
        // An interrupted line keeps what arrived; the server's final text is the whole answer.
        if (line && text !== undefined && line.state !== 'interrupted') transcript.update(line, { text });
        break;
      }
      case 'output_audio_buffer.started': {
        // WebRTC: the model's voice is on the track now (it arrives as media, not as deltas).
        const voice = this.#transport?.media?.voice;
        if (!voice) break;
        const itemId = this.#responseItemId;
        if (itemId && this.#cut.has(itemId)) break;
        voice.started(itemId);
        if (!this.#voiceLocked) this.#voiceLocked = true;
        this.#options.hooks.changed();
        break;
      }
      case 'output_audio_buffer.stopped':
      case 'output_audio_buffer.cleared': {
        this.#transport?.media?.voice.ended();
        this.#options.hooks.changed();
        break;
      }
      case 'conversation.item.truncated': {
        const itemId = str(event.item_id);
        const line = itemId ? transcript.find(itemId) : undefined;
        if (line) transcript.update(line, { state: 'interrupted' });
        break;
      }
      case 'response.done': {
        const response = asRecord(event.response);
        const status = str(response?.status);
        const itemId = this.#responseItemId;
        this.#responseId = undefined;
        this.#responseItemId = undefined;
        const line = itemId ? transcript.find(itemId) : undefined;
        if (line && line.state === 'speaking') transcript.update(line, { state: status === 'completed' ? 'done' : status === 'failed' ? 'failed' : 'interrupted' });
        if (status === 'failed') {
          const details = asRecord(asRecord(response?.status_details)?.error);
          this.#options.hooks.error({ type: str(details?.type) ?? 'server_error', code: str(details?.code) ?? 'response_failed', message: str(details?.message) ?? '' });
        }
        this.#options.hooks.changed();
        break;
      }
      default:
        break;
    }
  }

  /** The line of the item an event names, made if the item's first event was missed. */
  #line(role: 'user' | 'assistant', event: ServerEvent) {
    const itemId = str(event.item_id);
    if (!itemId) return undefined;
    return this.#options.transcript.speech(role, itemId, role === 'user' ? 'transcribing' : 'speaking');
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function readError(event: ServerEvent): SessionError {
  const error = asRecord(event.error);
  return {
    type: str(error?.type) ?? 'server_error',
    code: str(error?.code) ?? null,
    message: str(error?.message) ?? '',
  };
}
