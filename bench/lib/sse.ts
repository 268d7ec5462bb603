/**
 * An incremental `text/event-stream` reader: feed it the body's text as it arrives, get whole
 * events back. Enough of the format for the gateway and the providers (event, data, id; comments
 * skipped), not a general implementation.
 */

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

export class SseReader {
  #buffer = '';

  /** The events completed by `text`; a partial one waits for the next call. */
  push(text: string): SseEvent[] {
    this.#buffer += text;
    const events: SseEvent[] = [];
    let end = this.#buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
      if (data.length > 0) events.push({ event, data: data.join('\n') });
      end = this.#buffer.indexOf('\n\n');
    }
    return events;
  }
}
