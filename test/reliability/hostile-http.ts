import { connect } from 'node:net';

/** A request as bytes on the wire, so that malformed framing, paths and headers reach the server as sent. */
export interface RawRequest {
  /** Request line and headers; `Host` and `Connection: close` are added unless `bare`. */
  readonly head: string | Buffer;
  readonly body?: Buffer;
  /** Send the head, wait for an early answer (a 413 from the length alone), then the body. */
  readonly bodyAfterMs?: number;
}

/** How one request ended: an HTTP answer, the connection closed without one, or no end in time. */
export type RawOutcome =
  | { kind: 'answer'; status: number; headers: string; body: Buffer }
  | { kind: 'closed'; error?: string }
  | { kind: 'hang' };

/** Builds the bytes of a request; `headers` may hold anything, the point is to send what a client should not. */
export function rawRequest(
  method: string,
  path: string | Buffer,
  headers: readonly (readonly [string, string])[] = [],
  body?: Buffer | string,
  options: { contentLength?: boolean; bodyAfterMs?: number } = {},
): RawRequest {
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [...headers.map(([k, v]) => `${k}: ${v}`), 'Host: 127.0.0.1', 'Connection: close'];
  if (bytes !== undefined && (options.contentLength ?? true)) lines.push(`Content-Length: ${bytes.length}`);
  const head = Buffer.concat([Buffer.from(`${method} `), Buffer.isBuffer(path) ? path : Buffer.from(path, 'latin1'), Buffer.from(` HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`, 'latin1')]);
  return { head, ...(bytes === undefined ? {} : { body: bytes }), ...(options.bodyAfterMs === undefined ? {} : { bodyAfterMs: options.bodyAfterMs }) };
}

/** Bytes sent exactly as given (a broken request line, a flood of header lines). */
export const verbatim = (bytes: string | Buffer): RawRequest => ({ head: bytes });

/** Undoes chunked transfer coding, leniently: a body that is not well chunked is returned as it came. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const eol = body.indexOf('\r\n', at);
    if (eol === -1) return body;
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return body;
    if (size === 0) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Sends one raw request to 127.0.0.1:`port` and reads until the server closes or `timeoutMs` passes. */
export function sendRaw(port: number, request: RawRequest, timeoutMs: number): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let error: string | undefined;
    let settled = false;
    const finish = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'hang' }), timeoutMs);
    const answered = () => {
      const all = Buffer.concat(received);
      const end = all.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(all.subarray(0, 20).toString('latin1'))?.[1];
      if (end === -1 || status === undefined) return undefined;
      const headers = all.subarray(0, end).toString('latin1');
      const raw = all.subarray(end + 4);
      return { kind: 'answer' as const, status: Number(status), headers, body: /\r\ntransfer-encoding:\s*chunked/i.test(headers) ? dechunk(raw) : raw };
    };
    socket.on('data', (data: Buffer) => received.push(data));
    // A server may answer and close while the body is still being written (EPIPE, ECONNRESET): the answer counts.
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on('close', () => finish(answered() ?? { kind: 'closed', ...(error === undefined ? {} : { error }) }));
    socket.on('connect', () => {
      socket.write(request.head);
      if (request.body === undefined) return;
      const body = request.body;
      if (request.bodyAfterMs === undefined) socket.write(body);
      else setTimeout(() => !socket.destroyed && received.length === 0 && socket.write(body), request.bodyAfterMs);
    });
  });
}
