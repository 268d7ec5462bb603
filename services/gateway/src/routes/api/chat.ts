import type { FastifyInstance } from 'fastify';
import { ErrorBody, TurnStarted, type StartTurn } from '@voxgate/protocol';
import type { ReplyInbox } from '@voxgate/service-kit';
import { newId } from '../../attachment-store.js';
import { parseChatRequest, requireJson } from '../../chat-input.js';
import { startTurn } from '../../turn-starter.js';
import { streamTurn, type TurnStreamDeps } from '../../turn-stream.js';

/** True when the client asked for the answer as a stream on this request. */
export const wantsEventStream = (accept: string | undefined): boolean => (accept ?? '').includes('text/event-stream');

/**
 * `POST /api/chat` (`ChatRequest`) → `TurnStarted`; with `Accept: text/event-stream`, the turn
 * streamed on the same request (see `streamTurn`).
 */
export async function chatRoute(app: FastifyInstance, options: TurnStreamDeps & { inbox: ReplyInbox; timeoutMs: number }): Promise<void> {
  app.post('/chat', { schema: { response: { 200: TurnStarted, '4xx': ErrorBody, '5xx': ErrorBody } } }, async (request, reply) => {
    requireJson(request.headers['content-type']);
    const chat = parseChatRequest(request.body);
    const turnId = newId();
    const start: StartTurn = {
      turnId,
      model: chat.model,
      mode: 'conversation',
      messages: chat.message ? [chat.message] : [],
      ...(chat.conversationId === undefined ? {} : { conversationId: chat.conversationId }),
      ...(chat.regenerate === undefined ? {} : { regenerate: chat.regenerate }),
    };
    if (!wantsEventStream(request.headers.accept)) {
      const started = await startTurn(options.inbox, start, { timeoutMs: options.timeoutMs, requestId: request.id });
      request.log.info({ turnId, conversationId: started.conversationId, model: chat.model }, 'turn started');
      return started;
    }
    // Subscribed before the start, so the first token is relayed the moment it is published.
    const watch = options.reader.watch(turnId);
    let started: TurnStarted;
    try {
      started = await startTurn(options.inbox, start, { timeoutMs: options.timeoutMs, requestId: request.id });
    } catch (error) {
      watch.close();
      throw error;
    }
    request.log.info({ turnId, conversationId: started.conversationId, model: chat.model }, 'turn started');
    await streamTurn(request, reply, options, { turnId, afterSeq: 0, started, watch });
    return reply;
  });
}
