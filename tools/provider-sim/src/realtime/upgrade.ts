import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SimContext } from '../context.js';
import type { Fault } from '../faults.js';
import type { RealtimeProvider, RealtimeSessionRecord } from './registry.js';

/**
 * Largest client frame taken. OpenAI allows 15 MiB of audio per append event; base64 and the JSON
 * around it make that about 20 MiB. A bigger frame closes the socket with 1009, as `ws` does.
 */
export const MAX_FRAME_BYTES = 21 * 1024 * 1024;

/** An HTTP answer instead of the handshake, in the provider's own error shape. */
export interface Refusal {
  status: number;
  body: unknown;
  headers?: Readonly<Record<string, string>>;
}

export type Admission = { ok: true; model?: string } | { ok: false; refusal: Refusal };

/** One provider's realtime endpoint. */
export interface RealtimeRoute {
  provider: RealtimeProvider;
  /** Prefix of the session ids the provider hands out (`sess_`). */
  sessionIdPrefix: string;
  /** Checks the upgrade request (key, model) before the handshake. */
  admit(request: IncomingMessage, url: URL): Admission;
  /** Where this provider takes its key, if not `Authorization: Bearer` (Gemini: `?key=`); never stored. */
  credential?(request: IncomingMessage, url: URL): string | undefined;
  /** The refusal a `realtime_refuse` fault produces. */
  refusal(status: 429 | 503, retryAfterSeconds: number | undefined): Refusal;
  /** The refusal a `realtime_invalid_key` fault produces: the key quoted back whole. */
  keyRefusal(key: string): Refusal;
  /** Runs the session on the accepted socket; the registry record is already open. `fault`: one this session took. */
  connect(socket: WebSocket, record: RealtimeSessionRecord, request: IncomingMessage, fault: Fault | undefined): void;
}

/**
 * Serves realtime WebSockets on the simulator's HTTP server: each upgrade is matched by path to a
 * route, logged, checked, possibly refused by a queued fault, and then handed to the route.
 * Fastify never sees upgrades; the `ws` server runs with `noServer` on the same port.
 */
export function serveRealtime(app: FastifyInstance, ctx: SimContext, routes: ReadonlyMap<string, RealtimeRoute>): void {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    // Browsers authenticate to OpenAI with subprotocols ['realtime', 'openai-insecure-api-key.…'];
    // the server must echo 'realtime' and never a key-carrying one.
    handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', 'http://simulator');
    const path = url.pathname.replace(/\/+$/, '');
    const route = routes.get(path);
    if (route === undefined) {
      refuse(socket, { status: 404, body: { error: { message: `No realtime endpoint at ${path}`, type: 'invalid_request_error' } } });
      return;
    }
    const admission = route.admit(request, url);
    const model = admission.ok ? admission.model : undefined;
    const key = route.credential ? route.credential(request, url) : undefined;
    const record = ctx.requests.open({ method: 'GET', path, provider: route.provider, authPresent: key !== undefined || hasCredentials(request) });
    ctx.requests.note(record, { model });
    if (!admission.ok) {
      refuse(socket, admission.refusal);
      return;
    }
    const fault = ctx.faults.take(route.provider, model, 'realtime');
    if (fault !== undefined) ctx.requests.note(record, { fault: fault.kind });
    if (fault?.kind === 'realtime_refuse') {
      refuse(socket, route.refusal(fault.statusCode ?? 503, fault.retryAfterSeconds));
      return;
    }
    if (fault?.kind === 'realtime_invalid_key') {
      refuse(socket, route.keyRefusal(key ?? bearerFromHeader(request) ?? ''));
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const session = ctx.realtime.open(
        { id: ctx.nextId(route.sessionIdPrefix), provider: route.provider, ...(model === undefined ? {} : { model }), ...(fault ? { fault: fault.kind } : {}) },
        ws,
      );
      // Protocol errors (oversized or invalid frames) close the socket; without a listener they would throw.
      ws.on('error', () => {});
      ws.on('close', (code) => ctx.realtime.close(session, code));
      if (fault?.kind === 'realtime_drop_after_ms') {
        // terminate(): no close frame, the client sees the connection vanish (1006), like a network cut.
        const timer = setTimeout(() => ws.terminate(), fault.delayMs ?? 0);
        ws.on('close', () => clearTimeout(timer));
      }
      route.connect(ws, session, request, fault);
    });
  };

  app.server.on('upgrade', onUpgrade);
  app.addHook('preClose', async () => {
    ctx.realtime.terminateAll();
  });
  app.addHook('onClose', async () => {
    app.server.off('upgrade', onUpgrade);
    wss.close();
  });
}

/** Whether the upgrade carries a key in either place OpenAI looks; the key itself is never kept. */
function hasCredentials(request: IncomingMessage): boolean {
  return bearerFromHeader(request) !== undefined || insecureKeyFromProtocols(request) !== undefined;
}

/** The key from `Authorization: Bearer <key>`; undefined when absent or empty. */
export function bearerFromHeader(request: IncomingMessage): string | undefined {
  const key = request.headers.authorization?.replace(/^Bearer\s+/i, '').trim();
  return key === undefined || key === '' ? undefined : key;
}

/** The key browsers send as the subprotocol `openai-insecure-api-key.<key>`. */
export function insecureKeyFromProtocols(request: IncomingMessage): string | undefined {
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const key = offered.find((p) => p.startsWith('openai-insecure-api-key.'))?.slice('openai-insecure-api-key.'.length);
  return key === undefined || key === '' ? undefined : key;
}

/** Answers the upgrade request with a plain HTTP response and closes the connection. */
function refuse(socket: Duplex, refusal: Refusal): void {
  const body = JSON.stringify(refusal.body);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
    ...refusal.headers,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\n${head}\r\n${body}`);
}
