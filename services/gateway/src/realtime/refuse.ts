import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, type ServiceError } from '@voxgate/service-kit';
import { openAiErrorType } from '../openai/wire.js';

/**
 * Answers an upgrade request with a plain HTTP error in the kit's `{ error: { code, message,
 * requestId } }` shape and closes the socket: an upgrade has no Fastify reply to send it through.
 * `/v1` answers also carry OpenAI's `type`, as the rest of `/v1` does.
 */
export function refuseUpgrade(socket: Duplex, error: ServiceError, requestId: string, options: { openAi?: boolean } = {}): void {
  const body = errorBody(error.code, error.message, requestId);
  const payload = options.openAi ? { error: { ...body.error, type: openAiErrorType(error.statusCode) } } : body;
  const text = JSON.stringify(payload);
  const retryAfterS = 'retryAfterS' in error && typeof error.retryAfterS === 'number' ? error.retryAfterS : error.statusCode === 503 ? 1 : undefined;
  const retry = retryAfterS === undefined ? '' : `retry-after: ${retryAfterS}\r\n`;
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode] ?? ''}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\n` +
      `x-request-id: ${requestId}\r\n${retry}connection: close\r\n\r\n${text}`,
  );
}
