import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TurnChunk, Usage } from '@voxgate/protocol';
import { ServiceError, type NatsHandle, type ReplyInbox } from '@voxgate/service-kit';
import { newId, type InlineAttachments } from '../../attachment-store.js';
import { requireJson } from '../../chat-input.js';
import { errors, isGatewayErrorCode } from '../../errors.js';
import { fromChatCompletionRequest, renameAttachments } from '../../openai/convert.js';
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

/**
 * A streamed completion sends its HTTP head when the answer starts, so that a turn refused before
 * its first token (a request the provider finds wrong, an option it does not take, its rate limit)
 * gets that status and error body, as from OpenAI, instead of a 200 and an error event. A turn
 * that has not started after this long opens its stream anyway, so proxies in between see bytes.
 */
const STREAM_OPEN_WAIT_MS = 10_000;

type ErrorChunk = Extract<TurnChunk, { type: 'error' }>;
type DoneChunk = Extract<TurnChunk, { type: 'done' }>;

/**
 * OpenAI's finish reason for a finished turn; a turn `stopped` early (its llm-text shut down: a
 * program cannot stop a /v1 turn) is an interruption, not an answer, and `other` reads as `stop`.
 */
function finishReason(done: DoneChunk): FinishReason | ServiceError {
  if (done.finishReason === 'stopped') return errors.turn_lost();
  if (done.finishReason === 'length' || done.finishReason === 'content_filter') return done.finishReason;
  return 'stop';
}

/** The usage the provider reported; none when it reported none (zeros would read as a count). */
const usageOf = (usage: Usage | undefined): CompletionUsage | undefined =>
  usage === undefined
    ? undefined
    : { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };

/** A failed turn as the gateway error its code names (the provider's message kept where llm-text gave it). */
function turnError(chunk: ErrorChunk): ServiceError {
  const options = chunk.message.trim() === '' ? {} : { message: chunk.message };
  return isGatewayErrorCode(chunk.code) ? errors[chunk.code](options) : errors.upstream_error(options);
}

export interface V1ChatOptions extends TurnStreamDeps {
  nats: NatsHandle;
  inbox: ReplyInbox;
  /** Where the request's inline images and audio are kept while its turn needs them. */
  inline: InlineAttachments;
  timeoutMs: number;
}

/** `POST /v1/chat/completions`, streamed (`chat.completion.chunk` events, `data: [DONE]`) or not. */
export async function v1ChatCompletionsRoute(app: FastifyInstance, options: V1ChatOptions): Promise<void> {
  app.post('/chat/completions', { bodyLimit: V1_BODY_LIMIT_BYTES }, async (request, reply) => {
    requireJson(request.headers['content-type']);
    const turnId = newId();
    const converted = fromChatCompletionRequest(request.body, turnId);
    // Stored before the turn starts, so llm-text finds every attachment it is told about, and
    // deleted once this request is done with the turn: its answer has read them, and nothing
    // shows them again. Bytes a request in flight stored already are shared, not stored again.
    const held = await options.inline.hold(converted.attachments);
    try {
      const start = renameAttachments(converted.start, held.renamed);
      // Subscribed before the start, so the first token is relayed the moment it is published.
      const watch = options.reader.watch(turnId);
      try {
        await startTurn(options.inbox, start, { timeoutMs: options.timeoutMs, requestId: request.id });
      } catch (error) {
        watch.close();
        throw error;
      }
      const head = { id: `chatcmpl-${turnId}`, created: Math.floor(Date.now() / 1000), model: start.model };
      request.log.info({ turnId, model: head.model, stream: converted.stream, attachments: converted.attachments.length }, 'completion started');
      if (converted.stream) {
        await streamCompletion(request, reply, options, { turnId, head, includeUsage: converted.includeUsage, watch });
        return reply;
      }
      return await collectCompletion(reply, { turnId, head, watch });
    } finally {
      held.release();
    }
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
  const finish = finishReason(final);
  if (finish instanceof ServiceError) throw finish;
  const usage = usageOf(final.usage);
  return {
    ...turn.head,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: finish, logprobs: null }],
    ...(usage === undefined ? {} : { usage }),
  };
}

async function streamCompletion(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: TurnStreamDeps,
  turn: { turnId: string; head: Head; includeUsage: boolean; watch: TurnWatch },
): Promise<void> {
  const { abort, release } = abortOnClose(reply.raw);
  const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], finish: FinishReason | null): ChatCompletionChunk => ({
    ...turn.head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...(turn.includeUsage ? { usage: null } : {}),
  });
  let sse: SseWriter | undefined;
  const open = (): SseWriter => {
    if (sse === undefined) {
      reply.hijack();
      sse = new SseWriter(reply.raw);
      // OpenAI opens every stream with the role.
      sse.data(chunk({ role: 'assistant', content: '' }, null));
    }
    return sse;
  };
  const opening = setTimeout(open, STREAM_OPEN_WAIT_MS);
  /** Once the stream is open an error is its last event; before, it is the HTTP answer. */
  let refusal: ServiceError | undefined;
  const fail = (error: ServiceError) => {
    if (sse === undefined) refusal ??= error;
    else sse.data({ error: { message: error.message, type: openAiErrorType(error.statusCode), code: error.code, param: null } });
  };
  const untrack = deps.live.add({
    close: () => {
      fail(errors.shutting_down());
      sse?.end();
      abort.abort();
    },
  });
  const finished = (done: DoneChunk) => {
    const finish = finishReason(done);
    if (finish instanceof ServiceError) return fail(finish);
    const stream = open();
    stream.data(chunk({}, finish));
    const usage = usageOf(done.usage);
    if (turn.includeUsage && usage !== undefined) stream.data({ ...turn.head, object: 'chat.completion.chunk', choices: [], usage });
    stream.data('[DONE]');
  };
  try {
    const end = await turn.watch.follow({
      signal: abort.signal,
      idleMs: TURN_IDLE_MS,
      onChunk: (c) => {
        if (c.type === 'delta') open().data(chunk({ content: c.text }, null));
        else if (c.type === 'error') fail(turnError(c));
        else if (c.type === 'done') finished(c);
      },
    });
    if (end === 'idle') fail(errors.turn_stalled());
  } catch (error) {
    request.log.error({ err: error, turnId: turn.turnId }, 'following the completion failed');
    fail(errors.delivery_failed());
  } finally {
    clearTimeout(opening);
    release();
    untrack();
    sse?.end();
  }
  if (refusal !== undefined) throw refusal;
  if (sse === undefined) {
    // The client left before anything was sent: there is nobody to answer.
    reply.hijack();
    reply.raw.destroy();
  }
}
