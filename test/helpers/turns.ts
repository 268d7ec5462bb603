import type { TurnChunk, TurnStarted } from '@voxgate/protocol';
import { readSse } from '../../services/gateway/test/sse-client.js';

/** How a streamed turn ended for its reader: its final chunk, the gateway's `delivery_error`, or a cut without either. */
export type StreamEnd = 'done' | 'error' | 'delivery_error' | 'cut';

export interface StreamedTurn {
  turnId: string;
  conversationId: string;
  chunks: TurnChunk[];
  end: StreamEnd;
  /** The code of the final `error` chunk or of the `delivery_error`. */
  code?: string | undefined;
  retryable?: boolean | undefined;
}

export interface ChatOptions {
  conversationId?: string;
  /** Called with the turn's first delta, e.g. to inject a fault mid-answer. */
  onFirstDelta?: (turn: { turnId: string }) => void;
}

/** One turn as the page streams it: `POST /api/chat` with `Accept: text/event-stream`, read to its end. */
export async function streamChat(baseUrl: string, model: string, text: string, options: ChatOptions = {}): Promise<StreamedTurn> {
  const response = await fetch(`${baseUrl}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ model, message: { role: 'user', content: [{ type: 'text', text }] }, ...(options.conversationId ? { conversationId: options.conversationId } : {}) }),
  });
  if (response.status !== 200) throw new Error(`POST /api/chat answered ${response.status}: ${await response.text()}`);
  const turn: StreamedTurn = { turnId: '', conversationId: '', chunks: [], end: 'cut' };
  try {
    await readSse(response, (event) => {
      const data = JSON.parse(event.data) as Record<string, unknown>;
      if (event.event === 'turn') {
        const started = data as unknown as TurnStarted;
        turn.turnId = started.turnId;
        turn.conversationId = started.conversationId;
      } else if (event.event === 'chunk') {
        const chunk = data as unknown as TurnChunk;
        turn.chunks.push(chunk);
        if (chunk.type === 'delta' && turn.chunks.filter((c) => c.type === 'delta').length === 1) options.onFirstDelta?.(turn);
        if (chunk.type === 'done' || chunk.type === 'error') {
          turn.end = chunk.type;
          if (chunk.type === 'error') {
            turn.code = chunk.code;
            turn.retryable = chunk.retryable;
          }
          return false;
        }
      } else if (event.event === 'delivery_error') {
        turn.end = 'delivery_error';
        turn.code = (data as { error?: { code?: string } }).error?.code;
        turn.retryable = true;
        return false;
      }
      return undefined;
    });
  } catch {
    // The connection broke: `end` stays 'cut', which is what the caller checks.
  }
  return turn;
}

export const answerOf = (chunks: readonly TurnChunk[]): string => chunks.map((c) => (c.type === 'delta' ? c.text : '')).join('');

/** The last chunk of a turn as polling sees it now (`GET /api/turns/:id`), and whether it has ended. */
export async function turnState(baseUrl: string, turnId: string): Promise<{ finished: boolean; last: TurnChunk | undefined; chunks: TurnChunk[] }> {
  const response = await fetch(`${baseUrl}/api/turns/${turnId}?after=0`);
  if (response.status !== 200) throw new Error(`GET /api/turns/${turnId} answered ${response.status}`);
  const body = (await response.json()) as { chunks: TurnChunk[]; finished: boolean };
  return { finished: body.finished, last: body.chunks.at(-1), chunks: body.chunks };
}
