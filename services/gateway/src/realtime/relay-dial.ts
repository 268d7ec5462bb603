import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';

/** The relay's realtime endpoint (services/realtime-relay, `REALTIME_PATH`). */
export const RELAY_REALTIME_PATH = '/v1/realtime';
/** Query parameters the relay reads; anything else a client adds stays at the gateway. */
const FORWARDED_PARAMS = ['model', 'conversation_id'] as const;
/**
 * Headers never passed on. `authorization` and `cookie` are the gateway's own credentials (an
 * `API_KEYS` key, the page's cookies), never a provider's; `host` and `x-request-id` are set anew.
 * `origin` was checked here; the relay refuses any, since no web page may open it directly.
 */
const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'host', 'x-request-id', 'content-length', 'transfer-encoding', 'origin']);
/** The browser SDK puts the key in a subprotocol (`openai-insecure-api-key.<key>`); it stays here too. */
const KEY_SUBPROTOCOL = /^openai-insecure-api-key\./i;
/** A response head longer than this is not a relay's. */
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

export type DialResult =
  /** The relay switched protocols: `received` holds its 101 head and any frames after it, unsent. */
  | { kind: 'upgraded'; socket: Socket; received: Buffer }
  /** The relay answered with an HTTP error; `received` holds what was read of it so far. */
  | { kind: 'refused'; statusCode: number; socket: Socket; received: Buffer }
  /** No usable answer: connection refused or reset, a timeout, something that is not HTTP. */
  | { kind: 'failed'; reason: string };

export interface DialOptions {
  /** The replica's registry address, `ws://host:port`. */
  address: string;
  request: IncomingMessage;
  /** Bytes the client sent after its request head (usually none). */
  clientHead: Buffer;
  requestId: string;
  /** Covers connecting, sending the request and reading the answer's head. */
  timeoutMs: number;
  /** Aborted when the client goes away while the relay is being dialed. */
  signal: AbortSignal;
}

/**
 * Sends the client's upgrade request to one relay replica over a raw TCP connection and reads the
 * relay's response head. Nothing is parsed beyond that head, so after a 101 the connection carries
 * the WebSocket stream byte for byte: the gateway never re-frames.
 */
export function dialRelay(options: DialOptions): Promise<DialResult> {
  let target: URL;
  try {
    target = new URL(options.address);
  } catch {
    return Promise.resolve({ kind: 'failed', reason: 'registry address is not a URL' });
  }
  // Relays listen in plain ws: on the internal network; TLS ends at the gateway.
  if (target.protocol !== 'ws:') return Promise.resolve({ kind: 'failed', reason: `unsupported scheme ${target.protocol}` });
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || 80);

  return new Promise<DialResult>((resolve) => {
    const socket = connect({ host, port, noDelay: true });
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;

    const settle = (result: DialResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('end', onEnd);
      if (result.kind === 'failed') socket.destroy();
      else socket.pause();
      resolve(result);
    };
    const onAbort = () => settle({ kind: 'failed', reason: 'client went away' });
    const onEnd = () => settle({ kind: 'failed', reason: 'relay closed before answering' });
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const received = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
      const headEnd = received.indexOf(HEAD_END);
      if (headEnd < 0) {
        if (length > MAX_HEAD_BYTES) settle({ kind: 'failed', reason: 'response head too long' });
        return;
      }
      const statusLine = received.subarray(0, received.indexOf('\r\n')).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
      if (!status?.[1]) return settle({ kind: 'failed', reason: 'not an HTTP response' });
      const statusCode = Number(status[1]);
      settle(statusCode === 101 ? { kind: 'upgraded', socket, received } : { kind: 'refused', statusCode, socket, received });
    };
    const timer = setTimeout(() => settle({ kind: 'failed', reason: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs);

    // After settling, the socket belongs to the caller, which handles its errors; until then, here.
    socket.on('error', (error: NodeJS.ErrnoException) => settle({ kind: 'failed', reason: error.code ?? error.message }));
    socket.on('data', onData);
    socket.on('end', onEnd);
    options.signal.addEventListener('abort', onAbort);
    if (options.signal.aborted) return onAbort();
    socket.write(upgradeRequest(options.request, target.host, options.requestId));
    if (options.clientHead.length > 0) socket.write(options.clientHead);
  });
}

/** The client's request head as the relay should see it: its path, without the gateway's credentials. */
function upgradeRequest(request: IncomingMessage, host: string, requestId: string): string {
  const given = new URL(request.url ?? '/', 'http://gateway.invalid').searchParams;
  const query = new URLSearchParams();
  for (const name of FORWARDED_PARAMS) {
    const value = given.get(name);
    if (value !== null) query.set(name, value);
  }
  const lines = [`GET ${RELAY_REALTIME_PATH}?${query.toString()} HTTP/1.1`, `host: ${host}`];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    let value = raw[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (DROPPED_HEADERS.has(lower)) continue;
    if (lower === 'sec-websocket-protocol') {
      value = value
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '' && !KEY_SUBPROTOCOL.test(p))
        .join(', ');
      if (value === '') continue;
    }
    lines.push(`${name}: ${value}`);
  }
  lines.push(`x-request-id: ${requestId}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
