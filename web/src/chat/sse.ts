/** One server-sent event as the HTML standard's parser would dispatch it. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Reads server-sent events from a fetch body. `EventSource` cannot POST or set headers, and the
 * chat request is a POST that streams its own answer, so the page parses the stream itself.
 * Yields each complete event; a partial event at the end of a cut stream is dropped, as the
 * standard says, so a half-received chunk is never applied.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      // A lone \r at the end may be the first half of \r\n: wait for the next read to decide.
      for (let end = lineEnd(buffer); end >= 0; end = lineEnd(buffer)) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(buffer[end] === '\r' && buffer[end + 1] === '\n' ? end + 2 : end + 1);
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const raw = colon < 0 ? '' : line.slice(colon + 1);
        const content = raw.startsWith(' ') ? raw.slice(1) : raw;
        if (field === 'event') event = content;
        else if (field === 'data') data.push(content);
        else if (field === 'id' && !content.includes('\0')) id = content;
      }
    }
  } finally {
    // Leaving early (a gap, a stop, the view closing) must close the connection too.
    await reader.cancel().catch(() => undefined);
  }
}

function lineEnd(buffer: string): number {
  for (let i = 0; i < buffer.length; i++) {
    const c = buffer[i];
    if (c === '\n') return i;
    if (c === '\r') return i + 1 < buffer.length ? i : -1;
  }
  return -1;
}
