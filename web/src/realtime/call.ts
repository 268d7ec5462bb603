import type { Playback } from './playback.js';
import { RealtimeSession, type SessionError, type SessionSettings } from './session.js';
import type { NoteLine, Transcript } from './transcript.js';
import type { ClientEvent, EventTransport, LinkState, MediaLink, TransportClose, TransportFactory, TransportName } from './transport.js';

/**
 * A call: sessions one after another over whatever transport, until the user hangs up. When a
 * connection drops it reconnects with backoff and re-seeds the new session with the conversation
 * so far (there is no session resume in the protocol), and says so in the transcript. Sessions
 * that end for good reasons (the time limit, idle) are not retried behind the user's back.
 */

/** `unstable`: connected, but the media path wavers (WebRTC `disconnected`) and may heal by itself. */
export type CallStatus = 'connecting' | 'connected' | 'unstable' | 'reconnecting' | 'error' | 'ended';

export interface CallOptions {
  transport: TransportFactory;
  playback: Playback;
  transcript: Transcript;
  settings(): SessionSettings;
  onStatus(status: CallStatus): void;
  /** Session state the view shows changed (responding, voice lock). */
  onChange(): void;
  sent?(event: ClientEvent): void;
  received?(type: string): void;
}

/** Waits before reconnect attempt n (1-based): 0.5, 1, 2, 4, 8, 8 s, with a little jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(8_000, 500 * 2 ** (attempt - 1));
  return Math.round(base * (0.85 + Math.random() * 0.3));
}
const MAX_ATTEMPTS = 6;

/** GA error codes after which the session is over and the relay closes it. */
const ENDING_CODES: Record<string, 'rt.note.sessionLimit' | 'rt.note.idle' | 'rt.note.minutesSpent'> = {
  session_expired: 'rt.note.sessionLimit',
  idle_timeout: 'rt.note.idle',
  // Today's realtime minutes ran out: a reconnect would only be refused until midnight UTC.
  client_realtime_spent: 'rt.note.minutesSpent',
  daily_realtime_budget_spent: 'rt.note.minutesSpent',
};
/** Codes the close itself explains; no separate error line for them. */
const CLOSING_CODES = new Set([
  'session_expired',
  'idle_timeout',
  'client_realtime_spent',
  'daily_realtime_budget_spent',
  'relay_shutting_down',
  'relay_lost',
  'client_too_slow',
  'provider_unavailable',
  'provider_disconnected',
]);
/** The gateway's close for a relay that vanished mid-session (its `relay_lost` event may be missing inside a message). */
const RELAY_LOST_CLOSE = 1014;

export class Call {
  readonly #options: CallOptions;
  #status: CallStatus = 'connecting';
  #session: RealtimeSession | undefined;
  #transport: EventTransport | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #everConnected = false;
  /** The "reconnecting…" line of the outage in progress, retired when it is over. */
  #outage: NoteLine | undefined;
  #closingError: SessionError | undefined;
  /** The "connection unstable" line while a WebRTC link wavers. */
  #wobble: NoteLine | undefined;
  /** The note whose button starts the call again (an ending, a give-up); retired once it is going again. */
  #offer: NoteLine | undefined;

  constructor(options: CallOptions) {
    this.#options = options;
  }

  get status(): CallStatus {
    return this.#status;
  }

  get session(): RealtimeSession | undefined {
    return this.#session;
  }

  /** The transport of the session in progress (the status chip names it). */
  get transport(): TransportName | undefined {
    return this.#transport?.name;
  }

  /** The media path of the session in progress, if its audio travels as media (WebRTC). */
  get media(): MediaLink | undefined {
    return this.#transport?.media;
  }

  start(): void {
    // The view may still show another call's state (the model before a switch): ours goes first.
    this.#options.onStatus(this.#status);
    this.#connect();
  }

  /** Ends the call on purpose: no reconnect. */
  hangUp(): void {
    this.#stop();
    this.#setStatus('ended');
  }

  /** A new session now (after an ending, a failure, or for a new voice), re-seeded with the conversation. */
  restart(): void {
    this.#stop();
    this.#attempt = 0;
    if (this.#offer) this.#options.transcript.retire(this.#offer);
    this.#offer = undefined;
    this.#connect();
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const transport = this.#transport;
    const session = this.#session;
    this.#transport = undefined;
    this.#session = undefined;
    this.#steady();
    this.#silence(session);
    transport?.close();
  }

  /** The voice stops with its session; what it was saying counts as cut off there. */
  #silence(session: RealtimeSession | undefined): void {
    if (session) void session.abandon();
    else void this.#options.playback.stop();
  }

  /** The link is steady again (or gone): the wobble note has served its purpose. */
  #steady(): void {
    if (this.#wobble) this.#options.transcript.retire(this.#wobble);
    this.#wobble = undefined;
  }

  #link(session: RealtimeSession, state: LinkState): void {
    if (this.#session !== session) return;
    if (state === 'unstable') {
      this.#wobble ??= this.#options.transcript.note('rt.note.unstable');
      if (this.#status === 'connected') this.#setStatus('unstable');
    } else {
      if (this.#wobble) this.#options.transcript.note('rt.note.steady');
      this.#steady();
      if (this.#status === 'unstable') this.#setStatus('connected');
    }
  }

  #setStatus(status: CallStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#options.onStatus(status);
  }

  #connect(): void {
    const { transcript } = this.#options;
    this.#setStatus(this.#everConnected || this.#attempt > 0 ? 'reconnecting' : 'connecting');
    this.#closingError = undefined;
    const seed = this.#everConnected ? transcript.seedEvents() : [];
    const session: RealtimeSession = new RealtimeSession({
      playback: this.#options.playback,
      transcript,
      settings: this.#options.settings(),
      seed,
      hooks: {
        ready: () => {
          if (this.#session !== session) return;
          const again = this.#everConnected;
          this.#everConnected = true;
          this.#attempt = 0;
          if (this.#outage) transcript.retire(this.#outage);
          this.#outage = undefined;
          if (again) transcript.note(session.seeded > 0 ? 'rt.note.reseeded' : 'rt.note.reconnected', { vars: { count: session.seeded } });
          this.#setStatus('connected');
        },
        error: (error) => {
          if (this.#session !== session) return;
          if (error.code !== null && CLOSING_CODES.has(error.code)) {
            this.#closingError = error;
            return;
          }
          if (error.code === 'cannot_update_voice') return;
          if (error.code === 'input_audio_buffer_commit_empty') transcript.note('rt.note.tooShort');
          else transcript.note('rt.note.providerError', { tone: 'error', vars: { code: error.code ?? error.type, message: error.message } });
        },
        changed: () => {
          if (this.#session === session) this.#options.onChange();
        },
      },
      ...(this.#options.sent ? { sent: this.#options.sent } : {}),
      ...(this.#options.received ? { received: this.#options.received } : {}),
    });
    this.#session = session;
    const transport = this.#options.transport({
      ...session.handlers((close) => this.#closed(session, close)),
      link: (state) => this.#link(session, state),
    });
    // The factory may already have failed synchronously and reported the close.
    if (this.#session === session) {
      this.#transport = transport;
      session.attach(transport);
    }
  }

  #closed(session: RealtimeSession, close: TransportClose): void {
    if (this.#session !== session) return;
    const via = this.#transport?.name;
    this.#session = undefined;
    this.#transport = undefined;
    this.#steady();
    this.#silence(session);
    const { transcript } = this.#options;
    const ending = this.#closingError?.code ? ENDING_CODES[this.#closingError.code] : undefined;
    if (ending) {
      this.#offer = transcript.note(ending, { action: { label: 'rt.action.newSession', run: () => this.restart() } });
      this.#setStatus('ended');
      return;
    }
    this.#attempt++;
    if (this.#attempt > MAX_ATTEMPTS) {
      if (this.#outage) transcript.retire(this.#outage);
      this.#outage = undefined;
      this.#offer = transcript.note(this.#everConnected ? 'rt.note.gaveUp' : via === 'webrtc' ? 'rt.note.webrtcCannotConnect' : 'rt.note.cannotConnect', {
        vars: { reason: close.reason },
        tone: 'error',
        action: { label: 'rt.action.retry', run: () => this.restart() },
      });
      this.#setStatus('error');
      return;
    }
    const reason = this.#closingError;
    if (this.#outage === undefined) {
      if (reason?.code === 'provider_unavailable') this.#outage = transcript.note('rt.note.providerDown', { tone: 'error', vars: { message: reason.message } });
      else if (reason?.code === 'provider_disconnected') this.#outage = transcript.note('rt.note.providerLost');
      else if (reason?.code === 'relay_shutting_down') this.#outage = transcript.note('rt.note.relayRestarting');
      else if (reason?.code === 'relay_lost' || close.code === RELAY_LOST_CLOSE) this.#outage = transcript.note('rt.note.relayLost');
      else if (reason?.code === 'client_too_slow') this.#outage = transcript.note('rt.note.tooSlow');
      else if (!close.opened && !this.#everConnected && via === 'webrtc') this.#outage = transcript.note('rt.note.webrtcRetry', { vars: { reason: close.reason } });
      else if (!close.opened && !this.#everConnected) this.#outage = transcript.note('rt.note.connectRetry');
      else this.#outage = transcript.note('rt.note.lost', { vars: { code: close.code } });
    }
    this.#setStatus('reconnecting');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#connect();
    }, backoffMs(this.#attempt));
  }
}
