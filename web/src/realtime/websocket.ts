import { checkLogin } from '../api.js';
import { type ClientEvent, type EventTransport, parseServerEvent, type TransportFactory, type TransportHandlers } from './transport.js';

/** The gateway's realtime route for the page (same origin; the gateway checks `Origin`). */
export const REALTIME_WS_PATH = '/api/realtime/ws';

export interface WebSocketTarget {
  model: string;
  /** Stored transcripts go to this conversation; the page makes the id so reconnects reuse it. */
  conversationId: string;
}

/** `ws(s)://<this host>/api/realtime/ws?model=…&conversation_id=…`: wss whenever the page is https. */
export function realtimeUrl(target: WebSocketTarget, base: Location = location): string {
  const url = new URL(REALTIME_WS_PATH, base.href);
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('model', target.model);
  url.searchParams.set('conversation_id', target.conversationId);
  return url.href;
}

/** The WebSocket transport: one JSON event per text frame, as the relay speaks it. */
export function webSocketTransport(target: WebSocketTarget): TransportFactory {
  return (handlers: TransportHandlers): EventTransport => {
    const socket = new WebSocket(realtimeUrl(target));
    let opened = false;
    let done = false;
    const finish = (code: number, reason: string) => {
      if (done) return;
      done = true;
      handlers.closed({ code, reason, opened });
    };
    socket.addEventListener('open', () => {
      opened = true;
      handlers.open();
    });
    socket.addEventListener('message', (message: MessageEvent) => {
      const event = parseServerEvent(message.data);
      if (event) handlers.event(event);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      // Refused before it opened: perhaps the login is gone (the page then goes to the login form).
      if (!opened && !done) void checkLogin();
      finish(event.code, event.reason);
    });
    return {
      name: 'websocket',
      media: undefined,
      send(event: ClientEvent) {
        if (socket.readyState !== WebSocket.OPEN) return false;
        socket.send(JSON.stringify(event));
        return true;
      },
      get bufferedBytes() {
        return socket.bufferedAmount;
      },
      close() {
        if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(1000, 'hang up');
        // The page's own close is final at once; the socket's close event would only repeat it.
        finish(1000, 'hang up');
      },
    };
  };
}
