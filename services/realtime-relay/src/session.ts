import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import type { RealtimeCloseReason } from '@voxgate/protocol';
import { scrubKeys } from '@voxgate/service-kit';
import { errorEvent } from './errors.js';
import { HeardAnswers } from './heard.js';
import type { ProviderAdapter, SessionPort } from './providers/types.js';
import { openUpstream } from './upstream.js';

/** Bounds of one session, from the relay's configuration. */
export interface SessionLimits {
  maxSessionMs: number;
  idleTimeoutMs: number;
  /** Bytes queued toward the client past which audio is dropped, and a stall closes it (1013). */
  clientBufferMaxBytes: number;
  maxFrameBytes: number;
}

/** Who a session is, for events and logs. */
export interface SessionInfo {
  sessionId: string;
  model: string;
  provider: string;
  conversationId: string;
  requestId?: string | undefined;
}

/** What the rest of the relay learns from a session (NATS events, history, the registry). */
export interface SessionHooks {
  opened(info: SessionInfo): void;
  closed(info: SessionInfo, outcome: { durationMs: number; reason: RealtimeCloseReason; closeCode: number; droppedAudioFrames: number }): void;
  usage(info: SessionInfo, responseId: string | undefined, usage: { input: number; output: number; total: number }): void;
  transcript(info: SessionInfo, role: 'user' | 'assistant', text: string, itemId: string | undefined): void;
}

/** Frames a client may send before the provider has answered; past these it gets `provider_not_ready`. */
const PENDING_MAX_FRAMES = 500;
const PENDING_MAX_BYTES = 1024 * 1024;
/** A client over its buffer limit for this long is closed with 1013 (transient slowness only drops audio). */
const SLOW_CLIENT_GRACE_MS = 2_000;
/** After a close frame, the peer gets this long to answer before its socket is destroyed. */
const CLOSE_DEADLINE_MS = 1_000;
/**
 * A slow client's notice and close frame wait behind its backlog: it is cut only once the backlog
 * has not shrunk for this long (a reader that came back gets told why), or at the latest after
 * `SLOW_CLOSE_MAX_MS`. Nothing new is queued meanwhile, so memory stays what it was.
 */
const SLOW_CLOSE_STALL_MS = 5_000;
const SLOW_CLOSE_MAX_MS = 30_000;
const SLOW_CLOSE_CHECK_MS = 500;
/** Bytes of a provider's HTTP refusal body read for its message. */
const REFUSAL_BODY_MAX_BYTES = 4_096;
/** Provider frames not yet written past which the provider counts as stalled. */
const PROVIDER_BUFFER_MAX_BYTES = 4 * 1024 * 1024;

/**
 * One realtime session: the client's socket, the provider's socket, the frames between them (via
 * the provider adapter), and its bounds. Memory per session is two sockets, a few timers and at
 * most `PENDING_MAX_BYTES` queued while the provider connects. When either side closes, the other
 * is closed at once and destroyed if it has not closed within a second.
 */
export class RealtimeSession {
  readonly info: SessionInfo;
  readonly #client: WebSocket;
  readonly #upstream: WebSocket;
  readonly #adapter: ProviderAdapter;
  readonly #limits: SessionLimits;
  readonly #hooks: SessionHooks;
  readonly #log: FastifyBaseLogger;
  readonly #startedAt = Date.now();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #port: SessionPort;
  readonly #heard: HeardAnswers;
  #pending: (Buffer | string)[] | undefined = [];
  #pendingBytes = 0;
  #lastActivityAt = Date.now();
  #overLimitSince: number | undefined;
  #droppedAudio = 0;
  #ended = false;
  readonly #onEnd: () => void;

  constructor(options: {
    info: SessionInfo;
    client: WebSocket;
    adapter: ProviderAdapter;
    limits: SessionLimits;
    hooks: SessionHooks;
    log: FastifyBaseLogger;
    onEnd: () => void;
  }) {
    this.info = options.info;
    this.#client = options.client;
    this.#adapter = options.adapter;
    this.#limits = options.limits;
    this.#hooks = options.hooks;
    this.#onEnd = options.onEnd;
    this.#log = options.log.child({ sessionId: this.info.sessionId, model: this.info.model });
    this.#heard = new HeardAnswers((text, itemId) => this.#hooks.transcript(this.info, 'assistant', text, itemId));
    this.#port = this.#makePort();

    this.#client.on('message', (data: Buffer, isBinary: boolean) => this.#fromClient(data, isBinary));
    this.#client.on('close', (code: number) => this.end('client_closed', code));
    this.#client.on('error', (err: Error) => {
      this.#log.info({ err }, 'client socket error');
      this.end('client_closed', 1011);
    });

    this.#upstream = openUpstream(this.#adapter.target);
    this.#upstream.on('open', () => this.#upstreamOpened());
    this.#upstream.on('message', (data: Buffer, isBinary: boolean) => this.#fromProvider(data, isBinary));
    this.#upstream.on('error', (err: Error) => this.#upstreamFailed(err));
    this.#upstream.on('unexpected-response', (request: ClientRequest, response: IncomingMessage) => this.#upstreamRefused(request, response));
    this.#upstream.on('close', (code: number, reason: Buffer) => this.#upstreamClosed(code, reason));

    this.#timers.push(
      setTimeout(
        () => this.end('max_duration', 1001, errorEvent('session_expired', `Your session hit the maximum duration of ${Math.round(this.#limits.maxSessionMs / 60_000)} minutes.`)),
        this.#limits.maxSessionMs,
      ),
      setInterval(() => this.#tick(), Math.min(1_000, Math.max(100, Math.floor(this.#limits.idleTimeoutMs / 4)))),
    );
    this.#hooks.opened(this.info);
    this.#log.info({ provider: this.info.provider, conversationId: this.info.conversationId }, 'realtime session opened');
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Ends the session once: an optional GA error event to the client, a close frame with `code`,
   * the provider socket closed, both destroyed if they linger. Safe to call again.
   */
  end(reason: RealtimeCloseReason, code: number, notice?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#pending = undefined;
    const client = this.#client;
    if (client.readyState === WebSocket.OPEN) {
      if (notice !== undefined) client.send(notice);
      client.close(code, reason);
    }
    if (client.readyState !== WebSocket.CLOSED) {
      if (reason === 'slow_client') terminateOnceStalled(client);
      else setTimeout(() => client.terminate(), CLOSE_DEADLINE_MS).unref();
    }
    const upstream = this.#upstream;
    if (upstream.readyState === WebSocket.OPEN) {
      upstream.close(1000);
      setTimeout(() => upstream.terminate(), CLOSE_DEADLINE_MS).unref();
    } else if (upstream.readyState === WebSocket.CONNECTING) {
      upstream.terminate();
    }
    this.#adapter.ended?.(this.#port);
    this.#heard.end();
    const durationMs = Date.now() - this.#startedAt;
    this.#log.info({ reason, closeCode: code, durationMs, droppedAudioFrames: this.#droppedAudio }, 'realtime session closed');
    this.#hooks.closed(this.info, { durationMs, reason, closeCode: code, droppedAudioFrames: this.#droppedAudio });
    this.#onEnd();
  }

  #makePort(): SessionPort {
    return {
      toClient: (data, audio) => this.#toClient(data, audio === true),
      toProvider: (data) => this.#toProvider(data),
      refuse: (code, message, causeEventId, options) => this.#toClient(errorEvent(code, message, { causeEventId, ...options }), false),
      transcript: (role, text, itemId) => this.#hooks.transcript(this.info, role, text, itemId),
      heard: this.#heard,
      responseDone: (responseId, usage) => {
        if (usage) this.#hooks.usage(this.info, responseId, usage);
      },
      log: this.#log,
    };
  }

  #fromClient(data: Buffer, isBinary: boolean): void {
    if (this.#ended) return;
    this.#lastActivityAt = Date.now();
    if (isBinary) {
      this.#port.refuse('binary_frame_unsupported', 'Binary frames are not part of the realtime protocol; send JSON text events.');
      return;
    }
    if (data.length > this.#limits.maxFrameBytes) {
      this.#port.refuse('frame_too_large', `Frames are limited to ${this.#limits.maxFrameBytes} bytes; send audio in smaller chunks.`);
      return;
    }
    this.#adapter.fromClient(data, this.#port);
  }

  #fromProvider(data: Buffer, isBinary: boolean): void {
    if (this.#ended) return;
    // Activity is what reaches the client (see #toClient): GLM's heartbeats alone keep no session alive.
    if (isBinary && this.#adapter.binaryJson !== true) {
      this.#log.warn({ bytes: data.length }, 'provider sent a binary frame; dropped');
      return;
    }
    this.#adapter.fromProvider(data, this.#port);
  }

  #toProvider(data: Buffer | string): void {
    if (this.#ended) return;
    if (this.#pending !== undefined) {
      if (this.#pending.length >= PENDING_MAX_FRAMES || this.#pendingBytes + data.length > PENDING_MAX_BYTES) {
        this.#port.refuse('provider_not_ready', 'The provider is still connecting and too much was sent meanwhile; this event was dropped.');
        return;
      }
      this.#pending.push(data);
      this.#pendingBytes += data.length;
      return;
    }
    if (this.#upstream.readyState !== WebSocket.OPEN) return;
    if (this.#upstream.bufferedAmount > PROVIDER_BUFFER_MAX_BYTES) {
      this.end('error', 1011, errorEvent('provider_unavailable', 'The provider stopped reading; the session was closed.', { type: 'server_error' }));
      return;
    }
    this.#upstream.send(data, { binary: false });
  }

  #toClient(data: Buffer | string, audio: boolean): void {
    const client = this.#client;
    if (client.readyState !== WebSocket.OPEN) return;
    this.#lastActivityAt = Date.now();
    if (client.bufferedAmount > this.#limits.clientBufferMaxBytes) {
      this.#overLimitSince ??= Date.now();
      if (Date.now() - this.#overLimitSince > SLOW_CLIENT_GRACE_MS) {
        this.#closeSlowClient();
        return;
      }
      if (audio) {
        // Old audio is already queued and will play; newer audio is what gets lost, bounded in memory.
        this.#droppedAudio++;
        return;
      }
    } else {
      this.#overLimitSince = undefined;
    }
    client.send(data, { binary: false });
  }

  #closeSlowClient(): void {
    this.end(
      'slow_client',
      1013,
      errorEvent('client_too_slow', 'The connection read audio more slowly than it arrived for too long; the session was closed.', { type: 'server_error' }),
    );
  }

  #tick(): void {
    if (this.#ended) return;
    const now = Date.now();
    if (this.#overLimitSince !== undefined && now - this.#overLimitSince > SLOW_CLIENT_GRACE_MS) {
      if (this.#client.bufferedAmount > this.#limits.clientBufferMaxBytes) this.#closeSlowClient();
      else this.#overLimitSince = undefined;
      return;
    }
    if (now - this.#lastActivityAt > this.#limits.idleTimeoutMs) {
      this.end('idle', 1000, errorEvent('idle_timeout', `No audio or events for ${Math.round(this.#limits.idleTimeoutMs / 1000)} s; the session was closed.`));
    }
  }

  #upstreamOpened(): void {
    if (this.#ended) return;
    this.#log.debug({}, 'provider socket open');
    const pending = this.#pending ?? [];
    this.#pending = undefined;
    this.#pendingBytes = 0;
    this.#adapter.opened(this.#port);
    for (const frame of pending) this.#toProvider(frame);
  }

  #upstreamFailed(err: Error): void {
    if (this.#ended) return;
    const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
    this.#log.warn({ err, status }, 'provider socket failed');
    const message = status ? `The provider refused the connection (HTTP ${status}).` : 'The provider could not be reached.';
    this.end('provider_unreachable', 1011, errorEvent('provider_unavailable', message, { type: 'server_error' }));
  }

  /**
   * The provider answered the upgrade with HTTP instead of a socket (429, 503, 401…). The client
   * learns the status, the provider's own message and when to retry, which the bare `ws` error
   * ("Unexpected server response") would hide.
   */
  #upstreamRefused(request: ClientRequest, response: IncomingMessage): void {
    const status = response.statusCode ?? 0;
    const retryAfter = Number(response.headers['retry-after']);
    const chunks: Buffer[] = [];
    let bytes = 0;
    const finish = () => {
      if (this.#ended) return;
      request.destroy();
      const said = providerMessage(Buffer.concat(chunks).toString('utf8'), this.#adapter.target.apiKey);
      this.#log.warn({ status }, 'provider refused the realtime upgrade');
      const retry = Number.isFinite(retryAfter) && retryAfter >= 0 ? `, retry after ${retryAfter} s` : '';
      const message = `The provider refused the connection (HTTP ${status}${retry})${said ? `: ${said}` : '.'}`;
      this.end('provider_unreachable', 1011, errorEvent('provider_unavailable', message, { type: status === 429 ? 'rate_limit_error' : 'server_error' }));
    };
    response.on('data', (chunk: Buffer) => {
      // Only the start of an error body is of use; a huge one is not read into memory.
      if (bytes < REFUSAL_BODY_MAX_BYTES) chunks.push(chunk);
      bytes += chunk.length;
      if (bytes >= REFUSAL_BODY_MAX_BYTES) finish();
    });
    response.once('end', finish);
    response.once('error', finish);
    setTimeout(finish, CLOSE_DEADLINE_MS).unref();
  }

  #upstreamClosed(code: number, reason: Buffer): void {
    if (this.#ended) return;
    const decided = this.#adapter.closed?.(code, reason.toString('utf8'), this.#port);
    if (decided !== undefined) {
      this.#log.info({ providerCloseCode: code, closeCode: decided.code }, 'provider closed the session');
      this.end('provider_closed', decided.code, decided.notice);
      return;
    }
    // A provider's own ending (1000, 1001, its 4xxx codes) is passed on; it sent its own error event first if it had one.
    if (code === 1000 || code === 1001 || (code >= 4000 && code < 5000)) {
      this.end('provider_closed', code);
      return;
    }
    // Anything else (1006: the connection vanished without a close frame) is a failure the client must hear about.
    this.#log.warn({ providerCloseCode: code }, 'provider connection lost');
    this.end(
      'provider_closed',
      1011,
      errorEvent('provider_disconnected', `The connection to the provider was lost (close code ${code}); start a new session to continue.`, { type: 'server_error' }),
    );
  }
}

/**
 * The `error.message` of a provider's JSON error body (OpenAI and Zhipu both use that shape), cut
 * short and without the key: a refused key is quoted back in it.
 */
function providerMessage(body: string, apiKey: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    const message = parsed.error?.message;
    return typeof message === 'string' && message.trim() ? scrubKeys(message.trim(), [apiKey]).slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

/** Destroys `client` once its queue has not shrunk for `SLOW_CLOSE_STALL_MS`, or after `SLOW_CLOSE_MAX_MS`. */
function terminateOnceStalled(client: WebSocket): void {
  const startedAt = Date.now();
  let lowestBuffered = client.bufferedAmount;
  let progressAt = startedAt;
  const check = setInterval(() => {
    if (client.readyState === WebSocket.CLOSED) {
      clearInterval(check);
      return;
    }
    const now = Date.now();
    if (client.bufferedAmount < lowestBuffered) {
      lowestBuffered = client.bufferedAmount;
      progressAt = now;
    }
    if (now - progressAt > SLOW_CLOSE_STALL_MS || now - startedAt > SLOW_CLOSE_MAX_MS) {
      clearInterval(check);
      client.terminate();
    }
  }, SLOW_CLOSE_CHECK_MS);
  check.unref();
}
