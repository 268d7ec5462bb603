import type { TurnChunk, TurnChunks } from '@voxgate/protocol';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** Reads SSE events from a fetch response as they arrive; stop early by returning false from `onEvent`. */
export async function readSse(response: Response, onEvent: (event: SseEvent) => boolean | undefined): Promise<void> {
  if (!response.body) throw new Error('no body');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const event: SseEvent = { event: 'message', id: undefined, data: '' };
        let isComment = true;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          isComment = false;
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'event') event.event = value;
          else if (field === 'id') event.id = value;
          else if (field === 'data') event.data += value;
        }
        if (!isComment && onEvent(event) === false) return;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export const answerText = (chunks: TurnChunk[]): string => chunks.map((c) => (c.type === 'delta' ? c.text : '')).join('');

/** Polls `GET /api/turns/:id?after=N` until the turn has finished; returns every chunk after `after`. */
export async function pollTurn(baseUrl: string, turnId: string, after = 0, timeoutMs = 20_000): Promise<TurnChunk[]> {
  const chunks: TurnChunk[] = [];
  let cursor = after;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/api/turns/${turnId}?after=${cursor}`);
    if (response.status !== 200) throw new Error(`poll answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as TurnChunks;
    chunks.push(...body.chunks);
    cursor = body.chunks.at(-1)?.seq ?? cursor;
    if (body.finished) return chunks;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`turn ${turnId} did not finish in ${timeoutMs} ms`);
}
