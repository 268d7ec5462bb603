import { request } from 'undici';

type Fetch = typeof fetch;
type UndiciBody = Awaited<ReturnType<typeof request>>['body'];

/**
 * Bytes after an answer's end (`[DONE]`) read and dropped so the reply finishes by itself and its
 * connection goes back to the pool; a server that sends more than this is cut.
 */
const LEFTOVER_MAX_BYTES = 64 * 1024;

/** Statuses whose response has no body: `Response` refuses one for them. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** The reply body of a `leanFetch` response, to read without going through web streams. */
const rawBodies = new WeakMap<Response, UndiciBody>();

/**
 * A `fetch` for the `openai` SDK clients over undici's `request()`: the global fetch spends about
 * a millisecond of CPU in its own machinery before a request reaches the socket, and passes every
 * body read through web streams. This sends JSON (string) bodies itself and hands anything else,
 * the transcription's multipart FormData among them, to the global fetch. `request()` without a
 * dispatcher uses the process's global one, so the proxy set by `useProxyForFetch` applies alike;
 * the SDK's abort signal (Stop, its timeout) aborts the request and a body being read.
 */
export const leanFetch: Fetch = async (input, init) => {
  const body = init?.body;
  if ((body !== undefined && body !== null && typeof body !== 'string') || input instanceof Request) return fetch(input, init);
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const reply = await request(input, {
    method: (init?.method ?? 'GET') as 'GET',
    headers,
    body: body ?? null,
    signal: init?.signal ?? null,
  });
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(reply.headers)) {
    if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
    else if (value !== undefined) responseHeaders.append(name, value);
  }
  if (NULL_BODY_STATUSES.has(reply.statusCode)) {
    discard(reply.body);
    return new Response(null, { status: reply.statusCode, headers: responseHeaders });
  }
  const response = new Response(webBody(reply.body), { status: reply.statusCode, headers: responseHeaders });
  rawBodies.set(response, reply.body);
  return response;
};

/**
 * Reads what is left of a reply whose answer is complete, without cutting it: destroying a body
 * before its end costs an abort error with its stack trace (in Node's stream iterator or undici),
 * about 50 µs of CPU at the end of every turn.
 */
function drain(raw: UndiciBody): void {
  if (raw.destroyed || raw.readableEnded) return;
  raw.dump({ limit: LEFTOVER_MAX_BYTES }).catch(() => {});
}

/** Lets a reply go: its socket is closed unless the reply was read to the end, and nothing throws. */
function discard(raw: UndiciBody): void {
  if (raw.destroyed) return;
  // undici emits an abort error on a body destroyed before its end; nobody waits for it here.
  raw.on('error', () => {});
  raw.destroy();
}

/** A web stream over the reply that reads nothing until it is read (the SDK reads error bodies). */
function webBody(raw: UndiciBody): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        iterator ??= raw[Symbol.asyncIterator]();
        const next = await iterator.next();
        if (next.done === true) controller.close();
        else controller.enqueue(next.value);
      },
      cancel() {
        discard(raw);
      },
    },
    { highWaterMark: 0 },
  );
}

/** A response body to read as bytes. */
export interface ResponseBody {
  chunks: AsyncIterable<Uint8Array>;
  /** Stops reading and cuts the reply (a stop, a failure mid-answer). */
  cancel(): void;
  /** The answer is complete: the rest of the reply (normally only its end) is read and dropped. */
  release(): void;
}

/**
 * The body of a response as bytes to iterate: straight from the socket when `leanFetch` made the
 * response and nobody has read it yet, through its web stream otherwise. Leaving the iteration
 * early does not end the reply; `cancel` or `release` does.
 */
export function bodyOf(response: Response): ResponseBody | undefined {
  const raw = rawBodies.get(response);
  if (raw !== undefined && !response.bodyUsed && !raw.destroyed) {
    return { chunks: raw.iterator({ destroyOnReturn: false }), cancel: () => discard(raw), release: () => drain(raw) };
  }
  const web = response.body;
  if (web === null) return undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  // The DOM typings give `ReadableStream` no async iterator; the reader is taken at the first read.
  async function* chunks(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
    const taken = stream.getReader();
    reader = taken;
    for (let read = await taken.read(); !read.done; read = await taken.read()) yield read.value;
  }
  const cancel = () => void (reader ?? web).cancel().catch(() => {});
  return { chunks: chunks(web), cancel, release: cancel };
}
