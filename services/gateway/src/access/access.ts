import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createParser, RealtimeHangupAnswer, WebrtcSubjects } from '@voxgate/protocol';
import { requestJson, type ServiceError } from '@voxgate/service-kit';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import type { NatsConnection } from 'nats';
import type { GatewayConfig } from '../config.js';
import type { TurnFeed } from '../turn-feed.js';
import { errors } from '../errors.js';
import { endWithNotice } from '../realtime/notice.js';
import { apiKeyMatcher } from '../routes/v1/auth.js';
import { clientIdOfAddress, clientIdOfKey } from './client-id.js';
import { loginCookieName, readCookie } from './cookies.js';
import type { LimitError } from './limit-error.js';
import { LiveRealtime } from './live-realtime.js';
import { loginRoutes } from './login-routes.js';
import { LoginSessions } from './login-sessions.js';
import { LOCAL_CLIENT, Quotas, USAGE_BUCKET } from './quotas.js';
import { SharedCounters } from './shared-counters.js';
import type { TrustedProxies } from './trusted-proxies.js';
import { UsageFeed } from './usage-feed.js';

/** Paths a login never closes: probes, the login form itself, and `/v1` (which has its API keys). */
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/login', '/login.css', '/logout']);
/** Day keys are kept a little past their day, then NATS drops them. */
const COUNTERS_MAX_AGE_MS = 3 * 86_400_000;
/** A WebRTC call the page never hung up stops counting as open after session's own limit on calls. */
const CALL_LEASE_MAX_MS = 65 * 60_000;
const hangupParser = createParser(RealtimeHangupAnswer);

export type UpgradeKind = 'page' | 'page-realtime' | 'v1-realtime';

/**
 * Who may use the gateway and how much: the optional page password, per-client limits (a client
 * is its API key when it sends one, else its address) and the deployment's daily budgets. The
 * hooks go on the root instance, so the page, `/api`, `/v1`, probes and 404s all pass through them.
 */
export class Access {
  readonly #inflight = new Map<string, string>();
  readonly #calls = new Map<string, { release: () => void; timer: NodeJS.Timeout }>();
  readonly #keys: ReturnType<typeof apiKeyMatcher>;
  readonly #cookieName: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly config: GatewayConfig,
    readonly proxies: TrustedProxies,
    private readonly quotas: Quotas,
    private readonly usage: UsageFeed,
    private readonly live: LiveRealtime,
    private readonly logins: LoginSessions | undefined,
    private readonly counters: SharedCounters,
    private readonly tls: boolean,
  ) {
    this.#keys = apiKeyMatcher(config.API_KEYS);
    this.#cookieName = loginCookieName(tls);
  }

  static async open(options: {
    nc: NatsConnection;
    turnFeed: TurnFeed;
    config: GatewayConfig;
    proxies: TrustedProxies;
    log: FastifyBaseLogger;
    tls: boolean;
  }): Promise<Access> {
    const { nc, config, log } = options;
    const counters = await SharedCounters.open(nc, { bucket: USAGE_BUCKET, maxAgeMs: COUNTERS_MAX_AGE_MS, log });
    const quotas = new Quotas(config, counters);
    const usage = new UsageFeed(nc, quotas, options.turnFeed);
    await usage.start();
    const live = new LiveRealtime(
      (client, liveMs) => quotas.realtimeLeftMs(client, liveMs),
      (client) => log.info({ client }, 'realtime session ended: minutes for today used up'),
    );
    const logins = config.ACCESS_PASSWORD === undefined ? undefined : await LoginSessions.open(nc, { lifetimeMs: config.ACCESS_SESSION_HOURS * 3_600_000, log });
    return new Access(nc, config, options.proxies, quotas, usage, live, logins, counters, options.tls);
  }

  /**
   * A client's id for counters and logs: a digest of its API key or address, never the thing
   * itself; `LOCAL_CLIENT` for this machine's own programs.
   */
  clientOf(request: IncomingMessage): string {
    if (this.proxies.isLocal(request)) return LOCAL_CLIENT;
    const address = this.proxies.clientAddress(request);
    const key = this.#keys.match(request.headers.authorization);
    return key ? clientIdOfKey(key) : clientIdOfAddress(address);
  }

  /** Root hooks and the login routes. */
  async register(app: FastifyInstance, allowedOrigins: readonly string[]): Promise<void> {
    app.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      // The matched route too: a path the router reads differently from its raw spelling
      // (percent-encoded, say) must not slip past a check.
      const route = request.routeOptions.url ?? '';
      // Metrics tell when and how much the service is used: this machine (seen through any
      // trusted proxy) or a program with an API key, never the open internet (see README).
      if (path === '/metrics' || route === '/metrics') {
        if (this.proxies.isLocal(request.raw) || this.#keys.match(request.headers.authorization)) return;
        throw this.#keys.any ? errors.unauthorized() : errors.loopback_only();
      }
      const api = [path, route].some((p) => p.startsWith('/api/') || p.startsWith('/v1/'));
      if (this.logins && !OPEN_PATHS.has(path) && !path.startsWith('/v1/') && !(await this.#loggedIn(request.raw))) {
        if (api || (request.method !== 'GET' && request.method !== 'HEAD')) throw errors.login_required();
        return reply.redirect('/login', 303);
      }
      if (!api) return;
      const client = this.clientOf(request.raw);
      refuse(reply, this.quotas.request(client));
      if (request.method !== 'POST') return;
      const track = () => {
        this.#inflight.set(request.id, client);
        // Not onResponse: a streamed (hijacked) answer never reaches it.
        reply.raw.once('close', () => this.#inflight.delete(request.id));
      };
      if (route === '/api/chat' || route === '/v1/chat/completions') {
        refuse(reply, this.quotas.text(client));
        track();
      } else if (route === '/api/realtime/calls') {
        refuse(reply, this.quotas.realtime(client));
        track();
      } else if (route === '/v1/realtime/client_secrets') {
        refuse(reply, this.quotas.realtime(client));
      }
    });
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode === 201 && request.routeOptions.url === '/api/realtime/calls' && typeof payload === 'string') {
        const client = this.#inflight.get(request.id);
        const callId = (JSON.parse(payload) as { callId?: unknown }).callId;
        if (client !== undefined && typeof callId === 'string') this.#callOpened(callId, client, request.log);
      }
      return payload;
    });
    app.addHook('onResponse', async (request) => {
      // The method first: Fastify builds `routeOptions` anew on every read, for every response.
      if (request.method === 'POST' && request.routeOptions.url === '/api/realtime/calls/:id/hangup') this.#callEnded((request.params as { id?: string }).id);
    });
    app.addHook('onClose', async () => this.close());
    if (this.logins && this.config.ACCESS_PASSWORD !== undefined) {
      await app.register(loginRoutes, {
        password: this.config.ACCESS_PASSWORD,
        sessions: this.logins,
        cookieName: this.#cookieName,
        tls: this.tls,
        proxies: this.proxies,
        allowedOrigins,
      });
    }
  }

  /**
   * A WebSocket upgrade (the page's push channel, the page's or a program's realtime socket): the
   * login, the per-minute allowance and, for realtime, the session limits. An admitted realtime
   * session counts as open until `socket` closes and is cut if today's minutes run out.
   */
  async admitUpgrade(request: IncomingMessage, socket: Duplex, kind: UpgradeKind, requestId: string): Promise<ServiceError | undefined> {
    if (kind !== 'v1-realtime' && this.logins && !(await this.#loggedIn(request))) return errors.login_required();
    const client = this.clientOf(request);
    const refused = this.quotas.request(client) ?? (kind === 'page' ? undefined : this.quotas.realtime(client));
    if (refused || kind === 'page') return refused;
    const release = this.quotas.opened(client);
    const ended = this.usage.session(requestId, client);
    const live = this.live.add(client, (spent) => {
      // Over from the limits' view at once: the close handshake may outlast the client's next try.
      release();
      endWithNotice(socket, errors[spent]());
    });
    socket.once('close', () => {
      release();
      ended(live.end());
    });
    return undefined;
  }

  /** Called when a chat request has started its turn, so the turn's usage counts for its client. */
  turnStarted(requestId: string, turnId: string): void {
    const client = this.#inflight.get(requestId);
    if (client !== undefined) this.usage.turn(turnId, client);
  }

  #loggedIn(request: IncomingMessage): Promise<boolean> {
    return this.logins ? this.logins.valid(readCookie(request, this.#cookieName)) : Promise.resolve(true);
  }

  #callOpened(callId: string, client: string, log: FastifyBaseLogger): void {
    const release = this.quotas.opened(client);
    const live = this.live.add(client, () => {
      requestJson(this.nc, WebrtcSubjects.hangup, { callId }, { response: hangupParser, timeoutMs: 10_000 }).catch((error: unknown) =>
        log.warn({ err: error, callId }, 'hanging up a call past its minutes failed'),
      );
      this.#callEnded(callId);
    });
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.#calls.delete(callId);
      release();
      this.usage.call(client, live.end());
    };
    const timer = setTimeout(end, CALL_LEASE_MAX_MS);
    timer.unref();
    this.#calls.set(callId, { release: end, timer });
  }

  #callEnded(callId: string | undefined): void {
    if (callId !== undefined) this.#calls.get(callId)?.release();
  }

  /** Stops following usage and writes what this replica counted but has not yet put in the bucket. */
  async close(): Promise<void> {
    this.live.close();
    this.usage.close();
    this.logins?.close();
    for (const call of this.#calls.values()) clearTimeout(call.timer);
    await this.counters.close();
  }
}

/** Throws a limit's refusal with its `Retry-After`. */
function refuse(reply: FastifyReply, error: LimitError | undefined): void {
  if (!error) return;
  reply.header('retry-after', String(error.retryAfterS));
  throw error;
}

