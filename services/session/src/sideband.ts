import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import { ConnectTunnelAgent, proxyFor, type ProxySettings } from '@voxgate/service-kit';

/** Where the sideband is and how to reach it; from configuration only. */
export interface SidebandTarget {
  /** `OPENAI_REALTIME_URL`; the call is named by `?call_id=`. */
  url: string;
  /** The server key, sent as `Authorization: Bearer`; never logged. */
  apiKey: string;
  proxy: ProxySettings;
  connectTimeoutMs: number;
}

export interface SidebandHandlers {
  /** Each server event, JSON-parsed (its shape is checked by whoever reads it). */
  onEvent(event: unknown): void;
  /** The socket ended, for whatever reason; called once. `wasOpen`: it had connected before. */
  onClose(wasOpen: boolean): void;
}

/**
 * The sideband events are control and transcript events (the audio is on the call's RTP track), so
 * a frame this large is a fault, not an event.
 */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;

/** The sideband URL of one call: the configured realtime URL with `call_id` (and no `model`). */
export function sidebandUrl(base: string, callId: string): URL {
  const url = new URL(base);
  url.searchParams.delete('model');
  url.searchParams.set('call_id', callId);
  return url;
}

/**
 * Follows a call over OpenAI's sideband WebSocket (`?call_id=`), with the server key, through a
 * CONNECT tunnel when a proxy applies. Returns the function that stops following. A sideband
 * that cannot be opened only costs the call's recording, so it is logged, not thrown.
 */
export function followSideband(target: SidebandTarget, callId: string, handlers: SidebandHandlers, log: FastifyBaseLogger): () => void {
  const url = sidebandUrl(target.url, callId);
  const proxy = proxyFor(url, target.proxy);
  const socket = new WebSocket(url, {
    headers: { Authorization: `Bearer ${target.apiKey}` },
    perMessageDeflate: false,
    // Redirects are not followed, so the key never reaches another host.
    followRedirects: false,
    handshakeTimeout: target.connectTimeoutMs,
    maxPayload: MAX_EVENT_BYTES,
    ...(proxy ? { agent: new ConnectTunnelAgent(proxy, { timeoutMs: target.connectTimeoutMs, secure: url.protocol === 'wss:' }) } : {}),
  });
  let closed = false;
  let wasOpen = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    handlers.onClose(wasOpen);
  };
  socket.on('open', () => {
    wasOpen = true;
    log.info({ callId, viaProxy: proxy !== undefined }, 'following the call over the sideband');
  });
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    let event: unknown;
    try {
      event = JSON.parse(String(data));
    } catch {
      log.warn({ callId }, 'sideband sent a frame that is not JSON');
      return;
    }
    handlers.onEvent(event);
  });
  socket.on('unexpected-response', (_request, response) => {
    log.warn({ callId, statusCode: response.statusCode }, 'sideband refused; the call is not recorded');
    response.resume();
    socket.terminate();
  });
  socket.on('error', (err) => log.warn({ err, callId }, 'sideband failed; the call is no longer recorded'));
  socket.on('close', (code) => {
    log.info({ callId, closeCode: code }, 'sideband closed');
    finish();
  });
  return () => {
    if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else if (socket.readyState === WebSocket.OPEN) socket.close(1000);
  };
}
