import type { ServerResponse } from 'node:http';

/** Headers every simulated event stream starts with. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
} as const;

/** One server-sent event carrying `data`; Gemini separates events with CRLF pairs, OpenAI with LF. */
export function sseFrame(data: string, separator: '\n\n' | '\r\n\r\n' = '\n\n'): string {
  return `data: ${data}${separator}`;
}

/**
 * Writes one frame, waiting for the socket to drain when its buffer is full, so a 4,000-token
 * answer to a slow reader does not pile up in memory. Resolves false once the connection is gone.
 */
export function writeFrame(raw: ServerResponse, frame: string): Promise<boolean> {
  if (raw.destroyed || raw.writableEnded) return Promise.resolve(false);
  if (raw.write(frame)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (drained: boolean) => {
      raw.off('drain', onDrain);
      raw.off('close', onClose);
      resolve(drained);
    };
    const onDrain = () => settle(true);
    const onClose = () => settle(false);
    raw.once('drain', onDrain);
    raw.once('close', onClose);
  });
}
