import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { createParser, WsClientEvent, type WsServerEvent } from '@voxgate/protocol';
import type { ServiceError } from '@voxgate/service-kit';
import type { Access } from '../../access/access.js';
import { errors } from '../../errors.js';
import type { LiveConnections } from '../../live-connections.js';
import { originAllowed } from '../../origin.js';
import { refuseUpgrade as refuseWithRetry } from '../../realtime/refuse.js';
import type { TurnReader } from '../../turn-reader.js';
import { TURN_IDLE_MS } from '../../turn-stream.js';

export const WS_PATH = '/api/ws';
/** Frames from the page are small commands; anything larger is a mistake or an attack. */
const MAX_FRAME_BYTES = 16 * 1024;
/**
 * Frames up to this are read and refused with an `error` event, as the doc comment below
 * promises; only beyond it does ws close the socket (1009), so that one client cannot make the
 * gateway buffer arbitrary amounts. The relay reads its frames the same way.
 */
const MAX_READ_FRAME_BYTES = 4 * MAX_FRAME_BYTES;
/** Turns one socket may follow at once (a page follows one, a few during a regenerate). */
const MAX_SUBSCRIPTIONS = 16;
const PING_INTERVAL_MS = 30_000;
/** How long a socket closed at shutdown gets to answer the close frame before it is cut. */
const CLOSE_TIMEOUT_MS = 1_000;

const clientEventParser = createParser(WsClientEvent);

export interface WsOptions {
  reader: TurnReader;
  live: LiveConnections;
  allowedOrigins: readonly string[];
  /** Login and the per-minute allowance, checked before the upgrade is taken. */
  access?: Pick<Access, 'admitUpgrade'>;
}

function refuseUpgrade(socket: Duplex, statusCode: number, error: ServiceError): void {
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  const reason = statusCode === 403 ? 'Forbidden' : statusCode === 404 ? 'Not Found' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${statusCode} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * `GET /api/ws`: the page's push channel. It sends `turn.subscribe` / `turn.unsubscribe` and
 * receives `turn.chunk` for each followed turn; a bad frame, one over 16 KiB included, gets an
 * `error` event and the socket goes on. Only what WebSocket itself forbids closes it: a text
 * frame that is not UTF-8 (1007), or one over the read limit (1009).
 * The upgrade is handled on the raw server (no plugin needed) after an Origin check.
 */
export async function wsRoute(app: FastifyInstance, options: WsOptions): Promise<void> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_READ_FRAME_BYTES });
  let closing = false;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== WS_PATH) {
      // Another upgrade handler (the realtime pipe) may own this path; answer only if none does.
      if (app.server.listenerCount('upgrade') === 1) refuseUpgrade(socket, 404, errors.invalid_request({ message: 'No WebSocket here.' }));
      return;
    }
    if (closing || options.live.closing) return refuseUpgrade(socket, 503, errors.shutting_down());
    if (!originAllowed(request, options.allowedOrigins)) {
      app.log.info({ origin: request.headers.origin, statusCode: 403 }, 'WebSocket refused: origin not allowed');
      return refuseUpgrade(socket, 403, errors.forbidden_origin());
    }
    if (!options.access) return wss.handleUpgrade(request, socket, head, (ws) => serve(ws));
    const requestId = randomUUID();
    // The server stops handling this socket's errors once it is handed to an upgrade listener.
    socket.on('error', () => socket.destroy());
    void options.access.admitUpgrade(request, socket, 'page', requestId).then((refused) => {
      if (refused) refuseWithRetry(socket, refused, requestId);
      else if (!socket.destroyed) wss.handleUpgrade(request, socket, head, (ws) => serve(ws));
    });
  };
  app.server.on('upgrade', onUpgrade);

  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => {
    app.server.off('upgrade', onUpgrade);
    wss.close();
  });

  function serve(ws: WebSocket): void {
    const log = app.log.child({ ws: true });
    const subscriptions = new Map<string, AbortController>();
    const send = (event: WsServerEvent) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(event));
    };
    const sendError = (error: ServiceError, turnId?: string) =>
      send({ type: 'error', code: error.code, message: error.message, ...(turnId === undefined ? {} : { turnId }) });

    let alive = true;
    const pinger = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_INTERVAL_MS);
    ws.on('pong', () => {
      alive = true;
    });

    const untrack = options.live.add({
      close: () => {
        ws.close(1001, 'server shutting down');
        setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS).unref();
      },
    });

    const follow = async (turnId: string, after: number) => {
      const previous = subscriptions.get(turnId);
      // Subscribing again moves a followed turn's cursor: it replaces its own entry, so it never
      // counts against the cap, and the old follow ends only once the new one is taken.
      if (previous === undefined && subscriptions.size >= MAX_SUBSCRIPTIONS) {
        return sendError(errors.invalid_request({ message: `At most ${MAX_SUBSCRIPTIONS} turns per socket.` }), turnId);
      }
      previous?.abort();
      const abort = new AbortController();
      subscriptions.set(turnId, abort);
      try {
        if (!(await options.reader.last(turnId))) return sendError(errors.turn_not_found(), turnId);
        const end = await options.reader.follow(turnId, after, {
          signal: abort.signal,
          idleMs: TURN_IDLE_MS,
          onChunk: (chunk) => send({ type: 'turn.chunk', turnId, chunk }),
        });
        if (end === 'idle') sendError(errors.turn_stalled(), turnId);
      } catch (error) {
        log.error({ err: error, turnId }, 'following a turn for a WebSocket failed');
        sendError(errors.delivery_failed(), turnId);
      } finally {
        if (subscriptions.get(turnId) === abort) subscriptions.delete(turnId);
      }
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;
      if (bytes > MAX_FRAME_BYTES) {
        return sendError(errors.frame_too_large({ message: `Frames are limited to ${MAX_FRAME_BYTES} bytes; this one has ${bytes}.` }));
      }
      if (isBinary) return sendError(errors.invalid_frame({ message: 'Frames are JSON text.' }));
      let value: unknown;
      try {
        value = JSON.parse(data.toString());
      } catch {
        return sendError(errors.invalid_frame({ message: 'The frame is not valid JSON.' }));
      }
      const parsed = clientEventParser.parse(value);
      if (!parsed.ok) return sendError(errors.invalid_frame({ message: `Invalid frame at ${parsed.error}` }));
      const event = parsed.value;
      if (event.type === 'turn.subscribe') void follow(event.turnId, event.after ?? 0);
      else {
        subscriptions.get(event.turnId)?.abort();
        subscriptions.delete(event.turnId);
      }
    });

    ws.on('error', (error) => log.info({ err: error }, 'WebSocket error'));
    ws.on('close', () => {
      clearInterval(pinger);
      for (const abort of subscriptions.values()) abort.abort();
      subscriptions.clear();
      untrack();
    });
  }
}
