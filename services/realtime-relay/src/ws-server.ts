import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorBody } from '@voxgate/service-kit';
import { errorEvent, UpgradeRefusal, type UpgradeRefusalCode } from './errors.js';
import type { ProviderAdapter } from './providers/types.js';
import { RealtimeSession, type SessionHooks, type SessionLimits } from './session.js';

/** The path the gateway pipes to, and that programs use directly: `GET /v1/realtime?model=…`. */
export const REALTIME_PATH = '/v1/realtime';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const CONVERSATION_ID = /^[A-Za-z0-9_-]{8,64}$/;

export interface RealtimeServerOptions {
  /** The adapter for a model this replica serves; undefined: not in its catalogue. */
  adapterFor(model: string): ProviderAdapter | undefined;
  maxSessions: number;
  limits: SessionLimits;
  hooks: SessionHooks;
  log: FastifyBaseLogger;
  /** Sessions opened or closed: the registry entry is refreshed. */
  onLoadChange(): void;
}

/** The realtime WebSocket endpoint of a replica, on the Fastify server's own port. */
export class RealtimeServer {
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<RealtimeSession>();
  readonly #options: RealtimeServerOptions;
  /** The conversation of each upgrade being answered, for the response header. */
  readonly #conversationOf = new WeakMap<IncomingMessage, string>();
  #draining = false;

  constructor(server: Server, options: RealtimeServerOptions) {
    this.#options = options;
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      // Frames up to 4× the documented limit are read and answered with `frame_too_large`; beyond
      // that ws closes with 1009, so one client cannot make the relay buffer arbitrary amounts.
      maxPayload: 4 * options.limits.maxFrameBytes,
      clientTracking: false,
    });
    this.#wss.on('headers', (headers, request) => {
      const conversationId = this.#conversationOf.get(request);
      if (conversationId) headers.push(`x-voxgate-conversation-id: ${conversationId}`);
    });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(request, socket, head));
  }

  get activeSessions(): number {
    return this.#sessions.size;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** SIGTERM: new upgrades get 503; running sessions go on. */
  startDraining(): void {
    this.#draining = true;
  }

  /** Waits until every session has ended or `timeoutMs` passed; true if none is left. */
  async waitForSessions(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return this.#sessions.size === 0;
  }

  /** Ends every session with a `relay_shutting_down` event and 1001, so clients reconnect elsewhere. */
  closeAll(): void {
    for (const session of [...this.#sessions]) {
      session.end('shutdown', 1001, errorEvent('relay_shutting_down', 'This relay is shutting down; reconnect to continue.', { type: 'server_error' }));
    }
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const requestId = typeof request.headers['x-request-id'] === 'string' && REQUEST_ID.test(request.headers['x-request-id'])
      ? request.headers['x-request-id']
      : randomUUID();
    const url = new URL(request.url ?? '/', 'http://relay.invalid');
    const refuse = (code: UpgradeRefusalCode, message: string) => {
      this.#options.log.info({ reqId: requestId, code, path: url.pathname }, 'realtime upgrade refused');
      refuseUpgrade(socket, UpgradeRefusal[code], errorBody(code, message, requestId));
    };
    if (url.pathname !== REALTIME_PATH) {
      refuse('not_found', `No WebSocket endpoint at ${url.pathname.slice(0, 200)}; use ${REALTIME_PATH}?model=…`);
      return;
    }
    // The relay serves the gateway (which checks the Origin and drops it) and programs, never a web
    // page: a browser always sends Origin, so one here is a page on some site trying to spend this
    // relay's keys (cross-site WebSocket hijacking).
    if (request.headers.origin !== undefined) {
      refuse('forbidden_origin', 'Web pages cannot open the relay directly; they connect through the gateway.');
      return;
    }
    const model = url.searchParams.get('model');
    if (!model) {
      refuse('invalid_request', 'The `model` query parameter is required.');
      return;
    }
    const adapter = this.#options.adapterFor(model);
    if (!adapter) {
      refuse('unknown_model', `Model '${model.slice(0, 200)}' is not a realtime model this relay is configured for.`);
      return;
    }
    const givenConversation = url.searchParams.get('conversation_id');
    if (givenConversation !== null && !CONVERSATION_ID.test(givenConversation)) {
      refuse('invalid_request', '`conversation_id` must be 8–64 letters, digits, `_` or `-`.');
      return;
    }
    if (this.#draining) {
      refuse('relay_draining', 'This relay is shutting down; try another.');
      return;
    }
    if (this.#sessions.size >= this.#options.maxSessions) {
      refuse('relay_full', 'This relay is at its session limit; try another.');
      return;
    }

    const conversationId = givenConversation ?? `rt_${randomUUID().replaceAll('-', '')}`;
    this.#conversationOf.set(request, conversationId);
    this.#wss.handleUpgrade(request, socket, head, (client: WebSocket) => {
      // Checked again: another upgrade may have taken the last place while this one completed.
      if (this.#draining || this.#sessions.size >= this.#options.maxSessions) {
        client.close(1013, 'relay full');
        return;
      }
      const session: RealtimeSession = new RealtimeSession({
        info: { sessionId: randomUUID(), model, provider: adapter.provider, conversationId, requestId },
        client,
        adapter,
        limits: this.#options.limits,
        hooks: this.#options.hooks,
        log: this.#options.log.child({ reqId: requestId }),
        onEnd: () => {
          this.#sessions.delete(session);
          this.#options.onLoadChange();
        },
      });
      if (!session.ended) this.#sessions.add(session);
      this.#options.onLoadChange();
    });
  }
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const retry = status === 503 ? 'Retry-After: 1\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${retry}Connection: close\r\n\r\n${text}`,
  );
}
