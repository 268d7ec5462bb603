import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { RelayEntry } from '@voxgate/protocol';
import { ServiceError, type NatsHandle } from '@voxgate/service-kit';
import type { Access } from '../access/access.js';
import { errors } from '../errors.js';
import type { LiveConnections } from '../live-connections.js';
import { originAllowed } from '../origin.js';
import { WS_PATH } from '../routes/api/ws.js';
import { v1Auth } from '../routes/v1/auth.js';
import { RealtimeModels } from './models.js';
import { errorNotice, setEnder } from './notice.js';
import { pipeSockets, type PipeHandle } from './pipe.js';
import { refuseUpgrade } from './refuse.js';
import { dialRelay, type DialResult } from './relay-dial.js';
import { RelayPool } from './relay-pool.js';

/** The page's realtime socket (Origin-checked). */
export const REALTIME_PAGE_PATH = '/api/realtime/ws';
/** Programs' realtime socket, where the `openai` SDK's realtime client dials with `baseURL: …/v1`. */
export const REALTIME_V1_PATH = '/v1/realtime';
/** Connecting to a replica and reading its answer's head; a replica slower than this counts as down. */
const RELAY_HANDSHAKE_TIMEOUT_MS = 4_000;
/** Replicas tried for one upgrade before giving up: bounds how long a client waits when many refuse. */
const MAX_RELAY_ATTEMPTS = 5;

export interface RealtimeOptions {
  nats: NatsHandle;
  live: LiveConnections;
  allowedOrigins: readonly string[];
  apiKeys: string | undefined;
  /** Whether a caller without an API key is a program on this machine (see `TrustedProxies.isLocal`). */
  isLocal: (request: IncomingMessage) => boolean;
  /** How long the catalogue check waits for the services over NATS. */
  timeoutMs: number;
  /** Login and per-client limits; an admitted session counts as open until its socket closes. */
  access?: Pick<Access, 'admitUpgrade'>;
}

/**
 * `GET /api/realtime/ws?model=…` (the page) and `GET /v1/realtime?model=…` (programs): after the
 * gateway's own checks (Origin or `API_KEYS`, a realtime model of the catalogue), the upgrade is
 * handed to the least-loaded live relay replica and the two sockets are joined without re-framing
 * (see `relay-dial.ts` and `pipe.ts`). A replica that refuses with 503 (full, draining) or does not
 * answer is skipped for the next; none left: 503 `no_relay`.
 *
 * Shutdown: new upgrades get 503; piped connections get `SHUTDOWN_GRACE_MS` to end by themselves,
 * then each side gets a 1001 close frame (the client a GA `error` event first), inserted between
 * two frames (`pipe.ts` follows the frame headers), so clients see a clean 1001 and reconnect.
 *
 * Paths other than these and `/api/ws` (routes/api/ws.ts) are answered 404 here, since ws.ts
 * leaves unknown paths to another upgrade handler once one is registered.
 */
export async function realtimeRoute(app: FastifyInstance, options: RealtimeOptions): Promise<void> {
  const models = new RealtimeModels(options.nats.nc, app.log, options.timeoutMs);
  const pool = new RelayPool(options.nats.nc);
  const authorize = v1Auth(options.apiKeys, options.isLocal);
  let closing = false;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://gateway.invalid');
    if (url.pathname === WS_PATH) return;
    // The HTTP server stops handling this socket's errors once it is upgraded.
    socket.on('error', () => socket.destroy());
    const requestId = randomUUID();
    const openAi = url.pathname === REALTIME_V1_PATH;
    const refuse = (error: ServiceError) => {
      app.log.info({ reqId: requestId, path: url.pathname, code: error.code, statusCode: error.statusCode }, 'realtime upgrade refused');
      refuseUpgrade(socket, error, requestId, { openAi });
    };
    if (url.pathname !== REALTIME_PAGE_PATH && !openAi) return refuse(errors.not_found());
    accept({ request, socket, head, url, requestId, openAi, refuse }).catch((error: unknown) => {
      app.log.error({ err: error, reqId: requestId }, 'realtime upgrade failed');
      refuse(errors.bad_gateway({ message: 'The realtime connection could not be set up.' }));
    });
  };

  interface Upgrade {
    request: IncomingMessage;
    socket: Duplex;
    head: Buffer;
    url: URL;
    requestId: string;
    openAi: boolean;
    refuse: (error: ServiceError) => void;
  }

  async function accept({ request, socket, head, url, requestId, openAi, refuse }: Upgrade): Promise<void> {
    if (closing || options.live.closing) return refuse(errors.shutting_down({ message: 'The gateway is restarting; reconnect shortly.' }));
    if (request.method !== 'GET' || request.headers.upgrade?.toLowerCase() !== 'websocket') {
      return refuse(errors.invalid_request({ message: 'Only WebSocket upgrades (GET, Upgrade: websocket) are served here.' }));
    }
    if (openAi) {
      // Programs send no Origin; a browser always does, and a page from another site must not use a
      // socket that spends the server's keys (cross-site WebSocket hijacking).
      if (request.headers.origin !== undefined && !originAllowed(request, options.allowedOrigins)) {
        return refuse(errors.forbidden_origin({ message: 'This origin may not open a realtime WebSocket here.' }));
      }
      try {
        authorize(request);
      } catch (error) {
        if (error instanceof ServiceError) return refuse(error);
        throw error;
      }
    } else if (request.headers.origin === undefined || !originAllowed(request, options.allowedOrigins)) {
      // Unlike /api/ws, a missing Origin is refused too: programs have /v1/realtime with a key.
      return refuse(errors.forbidden_origin({ message: 'This origin may not open a realtime WebSocket here.' }));
    }
    const limited = await options.access?.admitUpgrade(request, socket, openAi ? 'v1-realtime' : 'page-realtime', requestId);
    if (limited) return refuse(limited);
    const problem = await models.check(url.searchParams.get('model'), requestId);
    if (problem) return refuse(problem);

    let candidates: RelayEntry[];
    try {
      candidates = await pool.live();
    } catch (error) {
      app.log.warn({ err: error, reqId: requestId }, 'relay registry unreadable');
      return refuse(errors.no_relay({ message: 'The relay registry cannot be read; try again shortly.' }));
    }
    if (candidates.length === 0) return refuse(errors.no_relay());

    const gone = new AbortController();
    const onGone = () => gone.abort();
    socket.once('close', onGone);
    socket.once('end', onGone);
    const tried = new Set<string>();
    try {
      while (tried.size < MAX_RELAY_ATTEMPTS) {
        if (gone.signal.aborted || socket.destroyed) return;
        const reserved = pool.reserve(candidates, tried);
        if (!reserved) break;
        const { relay, ended: dialEnded } = reserved;
        tried.add(relay.id);
        const result = await dialRelay({
          address: relay.address,
          request,
          clientHead: head,
          requestId,
          timeoutMs: RELAY_HANDSHAKE_TIMEOUT_MS,
          signal: gone.signal,
        });
        if (result.kind === 'upgraded' && !gone.signal.aborted && !socket.destroyed) {
          join(socket, head, result, dialEnded('piped'), { requestId, relayId: relay.id, path: url.pathname });
          return;
        }
        dialEnded(result.kind === 'failed' && !gone.signal.aborted ? 'unreachable' : 'refused');
        if (result.kind !== 'failed') {
          // The relay's own 4xx (a `conversation_id` it rejects, a model it is not configured for) is the answer.
          if (result.kind === 'refused' && result.statusCode !== 503 && !gone.signal.aborted) return passRefusal(socket, result);
          result.socket.destroy();
        }
        if (gone.signal.aborted) return;
        const why = result.kind === 'failed' ? result.reason : result.kind === 'refused' ? `HTTP ${result.statusCode}` : 'client gone';
        app.log.info({ reqId: requestId, relayId: relay.id, address: relay.address, why }, 'relay did not take the session; trying the next');
      }
      refuse(errors.no_relay({ message: 'Every relay refused the session or could not be reached; try again shortly.' }));
    } finally {
      socket.off('close', onGone);
      socket.off('end', onGone);
    }
  }

  function join(
    socket: Duplex,
    clientHead: Buffer,
    dialed: Extract<DialResult, { kind: 'upgraded' }>,
    untrackLoad: () => void,
    context: { requestId: string; relayId: string; path: string },
  ): void {
    const openedAtMs = Date.now();
    let over = false;
    let untrackLive: (() => void) | undefined;
    const pipe = pipeSockets({
      client: socket,
      relay: dialed.socket,
      received: dialed.received,
      clientHead,
      onEnd: (why) => {
        over = true;
        untrackLoad();
        untrackLive?.();
        app.log.info({ reqId: context.requestId, relayId: context.relayId, durationMs: Date.now() - openedAtMs, why }, 'realtime connection ended');
      },
    });
    if (!over) untrackLive = options.live.add({ close: () => closeForShutdown(pipe) });
    // Policy ends (today's minutes spent): the client is told why and not invited to reconnect.
    setEnder(socket, (error) => void pipe.close(1008, error.code, errorNotice(error)));
    app.log.info({ reqId: context.requestId, relayId: context.relayId, path: context.path }, 'realtime connection piped to relay');
  }

  /** Pipes being closed at shutdown; the process waits for their close frames to go out. */
  const shuttingDown = new Set<Promise<void>>();
  function closeForShutdown(pipe: PipeHandle): void {
    const notice = errorNotice(errors.shutting_down({ message: 'The gateway is restarting; reconnect to continue.' }));
    const closed = pipe.close(1001, 'gateway shutting down', notice);
    shuttingDown.add(closed);
    void closed.then(() => shuttingDown.delete(closed));
  }

  app.server.on('upgrade', onUpgrade);
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => {
    app.server.off('upgrade', onUpgrade);
    await Promise.all(shuttingDown);
  });
}

/** Hands a relay's HTTP refusal to the client as it came, then closes both. */
function passRefusal(client: Duplex, refused: Extract<DialResult, { kind: 'refused' }>): void {
  const relay = refused.socket;
  const cut = setTimeout(() => {
    relay.destroy();
    client.destroy();
  }, RELAY_HANDSHAKE_TIMEOUT_MS);
  cut.unref();
  relay.on('close', () => clearTimeout(cut));
  relay.on('error', () => client.destroy());
  client.write(refused.received);
  relay.pipe(client);
}
