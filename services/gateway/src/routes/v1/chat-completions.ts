import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TurnChunk, Usage } from '@voxgate/protocol';
import type { NatsHandle, ReplyInbox, ServiceError } from '@voxgate/service-kit';
import { newId, type AttachmentStore } from '../../attachment-store.js';
import { requireJson } from '../../chat-input.js';
import { errors, isGatewayErrorCode } from '../../errors.js';
import { fromChatCompletionRequest } from '../../openai/convert.js';
import { openAiErrorType, type ChatCompletion, type ChatCompletionChunk, type CompletionUsage, type FinishReason } from '../../openai/wire.js';
import { SseWriter } from '../../sse.js';
import { startTurn } from '../../turn-starter.js';
import type { TurnWatch } from '../../turn-reader.js';
import { abortOnClose, TURN_IDLE_MS, type TurnStreamDeps } from '../../turn-stream.js';

/**
 * Inline images and audio arrive base64-encoded in the JSON, a third larger than the files; this
 * fits a few files at their limits (ChatLimits) while bounding what one request can make us parse.
 */
export const V1_BODY_LIMIT_BYTES = 48 * 1024 * 1024;

type ErrorChunk = Extract<TurnChunk, { type: 'error' }>;

const finishReason = (reason: Extract<TurnChunk, { type: 'done' }>['finishReason']): FinishReason =>
  reason === 'length' ? 'length' : 'stop';

const usageOf = (usage: Usage | undefined): CompletionUsage => {
  const prompt = usage?.inputTokens ?? 0;
  const completion = usage?.outputTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
};

/** A failed turn as the gateway error its code names (the provider's message kept where llm-text gave it). */
function turnError(chunk: ErrorChunk): ServiceError {
  const options = chunk.message.trim() === '' ? {} : { message: chunk.message };
  return isGatewayErrorCode(chunk.code) ? errors[chunk.code](options) : errors.upstream_error(options);
}

export interface V1ChatOptions extends TurnStreamDeps {
  nats: NatsHandle;
  inbox: ReplyInbox;
  store: AttachmentStore;
  timeoutMs: number;
}

/** `POST /v1/chat/completions`, streamed (`chat.completion.chunk` events, `data: [DONE]`) or not. */
export async function v1ChatCompletionsRoute(app: FastifyInstance, options: V1ChatOptions): Promise<void> {
  app.post('/chat/completions', { bodyLimit: V1_BODY_LIMIT_BYTES }, async (request, reply) => {
    requireJson(request.headers['content-type']);
    const turnId = newId();
    const converted = fromChatCompletionRequest(request.body, turnId);
    // Stored before the turn starts, so llm-text finds every attachment it is told about.
    await Promise.all(converted.attachments.map((a) => options.store.put(a.record, a.bytes)));
    // Subscribed before the start, so the first token is relayed the moment it is published.
    const watch = options.reader.watch(turnId);
    try {
      await startTurn(options.inbox, converted.start, { timeoutMs: options.timeoutMs, requestId: request.id });
    } catch (error) {
      watch.close();
      throw error;
    }
    const head = { id: `chatcmpl-${turnId}`, created: Math.floor(Date.now() / 1000), model: converted.start.model };
    request.log.info({ turnId, model: head.model, stream: converted.stream, attachments: converted.attachments.length }, 'completion started');
    if (converted.stream) {
      await streamCompletion(request, reply, options, { turnId, head, includeUsage: converted.includeUsage, watch });
      return reply;
    }
    return collectCompletion(reply, { turnId, head, watch });
  });
}

interface Head {
  id: string;
  created: number;
  model: string;
}

async function collectCompletion(reply: FastifyReply, turn: { turnId: string; head: Head; watch: TurnWatch }): Promise<ChatCompletion> {
  // The client leaving stops the wait, not the turn (as on /api).
  const { abort, release } = abortOnClose(reply.raw);
  let text = '';
  let last: TurnChunk | undefined;
  const end = await turn.watch
    .follow({
      signal: abort.signal,
      idleMs: TURN_IDLE_MS,
      onChunk: (chunk) => {
        last = chunk;
        if (chunk.type === 'delta') text += chunk.text;
      },
    })
    .finally(release);
  const final = last as TurnChunk | undefined;
  if (end === 'idle') throw errors.turn_stalled();
  if (final?.type === 'error') throw turnError(final);
  if (final?.type !== 'done') throw errors.delivery_failed();
  return {
    ...turn.head,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: finishReason(final.finishReason), logprobs: null }],
    usage: usageOf(final.usage),
  };
}

async function streamCompletion(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: TurnStreamDeps,
  turn: { turnId: string; head: Head; includeUsage: boolean; watch: TurnWatch },
): Promise<void> {
  reply.hijack();
  const sse = new SseWriter(reply.raw);
  const { abort, release } = abortOnClose(reply.raw);
  const sendError = (error: ServiceError) =>
    sse.data({ error: { message: error.message, type: openAiErrorType(error.statusCode), code: error.code, param: null } });
  const untrack = deps.live.add({
    close: () => {
      sendError(errors.shutting_down());
      sse.end();
      abort.abort();
    },
  });
  const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], finish: FinishReason | null): ChatCompletionChunk => ({
    ...turn.head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...(turn.includeUsage ? { usage: null } : {}),
  });
  // OpenAI opens every stream with the role.
  sse.data(chunk({ role: 'assistant', content: '' }, null));
  try {
    const end = await turn.watch.follow({
      signal: abort.signal,
      idleMs: TURN_IDLE_MS,
      onChunk: (c) => {
        if (c.type === 'delta') sse.data(chunk({ content: c.text }, null));
        else if (c.type === 'error') sendError(turnError(c));
        else if (c.type === 'done') {
          sse.data(chunk({}, finishReason(c.finishReason)));
          if (turn.includeUsage) sse.data({ ...turn.head, object: 'chat.completion.chunk', choices: [], usage: usageOf(c.usage) });
          sse.data('[DONE]');
        }
      },
    });
    if (end === 'idle') sendError(errors.turn_stalled());
  } catch (error) {
    request.log.error({ err: error, turnId: turn.turnId }, 'following the completion failed');
    sendError(errors.delivery_failed());
  } finally {
    release();
    untrack();
    sse.end();
  }
}
