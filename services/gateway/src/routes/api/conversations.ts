import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import {
  Conversation,
  ConversationList,
  ConversationSummary,
  createParser,
  ErrorBody,
  RenameConversation,
  Subjects,
  type Parser,
} from '@voxgate/protocol';
import { requestJson, type NatsHandle } from '@voxgate/service-kit';
import { requireJson } from '../../chat-input.js';
import { errors } from '../../errors.js';
import { fromNatsFailure } from '../../nats-errors.js';

const Params = createParser(Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }));
const renameParser = createParser(RenameConversation);
const listParser = createParser(ConversationList);
const conversationParser = createParser(Conversation);
const summaryParser = createParser(ConversationSummary);
/** Delete's answer carries nothing the client needs; any JSON will do. */
const anyParser = createParser(Type.Unknown());

function conversationId(params: unknown): string {
  const parsed = Params.parse(params);
  if (!parsed.ok) throw errors.conversation_not_found();
  return parsed.value.id;
}

/**
 * The conversation history, kept by llm-text: `GET /api/conversations` → `ConversationList`,
 * `GET /api/conversations/:id` → `Conversation`, `PATCH …/:id` (`RenameConversation`) →
 * `ConversationSummary`, `DELETE …/:id` → 204.
 */
export async function conversationsRoute(app: FastifyInstance, options: { nats: NatsHandle; timeoutMs: number }): Promise<void> {
  const ask = async <S extends TSchema>(subject: string, body: unknown, response: Parser<S>, requestId: string) => {
    try {
      return await requestJson(options.nats.nc, subject, body, { response, timeoutMs: options.timeoutMs, requestId });
    } catch (error) {
      throw fromNatsFailure(error);
    }
  };
  const replies = { '4xx': ErrorBody, '5xx': ErrorBody };

  app.get('/conversations', { schema: { response: { 200: ConversationList, ...replies } } }, async (request) =>
    ask(Subjects.conversations.list, {}, listParser, request.id),
  );

  app.get('/conversations/:id', { schema: { response: { 200: Conversation, ...replies } } }, async (request) =>
    ask(Subjects.conversations.get, { id: conversationId(request.params) }, conversationParser, request.id),
  );

  app.patch('/conversations/:id', { schema: { response: { 200: ConversationSummary, ...replies } } }, async (request) => {
    const id = conversationId(request.params);
    requireJson(request.headers['content-type']);
    const parsed = renameParser.parse(request.body);
    if (!parsed.ok) throw errors.invalid_request({ message: `Invalid rename at ${parsed.error}` });
    return ask(Subjects.conversations.rename, { id, title: parsed.value.title }, summaryParser, request.id);
  });

  app.delete('/conversations/:id', { schema: { response: { '4xx': ErrorBody, '5xx': ErrorBody } } }, async (request, reply) => {
    await ask(Subjects.conversations.delete, { id: conversationId(request.params) }, anyParser, request.id);
    return reply.code(204).send();
  });
}
