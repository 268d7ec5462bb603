/** One server-sent event: its `event` field (if any) and its data lines joined. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/**
 * Reads a `text/event-stream` body into its events, a batch per network read. Lines may end
 * with LF or CRLF (what OpenAI-style servers send); comments and fields other than `event` and
 * `data` are skipped, and an event the body ends without a blank line after still counts.
 *
 * It replaces the `openai` SDK's own stream reader for chat completions, which passes every
 * event through five nested async generators: with one event per token, that reader cost more
 * CPU than everything else llm-text does with a token.
 */
export async function* readSseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent[]> {
  const decoder = new TextDecoder();
  let pending = '';
  let data: string[] = [];
  let event: string | undefined;
  const take = (text: string, events: SseEvent[]) => {
    pending += text;
    let start = 0;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      const line = pending.charCodeAt(end - 1) === 13 && end > start ? pending.slice(start, end - 1) : pending.slice(start, end);
      start = end + 1;
      if (line === '') {
        if (data.length > 0) events.push({ event, data: data.join('\n') });
        data = [];
        event = undefined;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon === 0) continue;
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
    }
    pending = pending.slice(start);
  };
  for await (const bytes of body) {
    const events: SseEvent[] = [];
    take(decoder.decode(bytes, { stream: true }), events);
    if (events.length > 0) yield events;
  }
  const events: SseEvent[] = [];
  take(`${decoder.decode()}\n\n`, events);
  if (events.length > 0) yield events;
}
