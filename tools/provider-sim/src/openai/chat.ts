import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Answer, composeAnswer } from '../answers.js';
import type { SimContext } from '../context.js';
import { deliveryFor } from '../delivery.js';
import { presentedKey } from '../provider-scope.js';
import { awaitWholeAnswer, type StreamFraming, streamTokens } from '../respond.js';
import { sseFrame } from '../sse.js';
import { type ChatRequestRules, readChatRequest, samplingOf } from './chat-request.js';

/** Where OpenAI-compatible providers differ in chat completions. */
export interface ChatDialect extends ChatRequestRules {
  provider: 'openai' | 'zhipu';
  /**
   * `on_request`: OpenAI sends usage in a stream only when `stream_options.include_usage` asks,
   * as a last chunk with no choices. `with_finish`: Zhipu always puts it on the finishing chunk.
   */
  streamUsage: 'on_request' | 'with_finish';
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

function usageOf(answer: Answer): Usage {
  const completion = answer.tokens.length;
  return { prompt_tokens: answer.promptTokens, completion_tokens: completion, total_tokens: answer.promptTokens + completion };
}

/** `POST …/chat/completions` for an OpenAI-compatible provider. */
export function chatCompletions(ctx: SimContext, dialect: ChatDialect) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { request: body, summary } = readChatRequest(request.body, dialect);
    const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
    const sampling = samplingOf(body);
    const stream = body.stream === true;
    const fault = ctx.faults.take(dialect.provider, body.model);
    const record = ctx.recordOf(request);
    if (record !== undefined) {
      ctx.requests.note(record, { model: body.model, stream, maxTokens, sampling, messages: summary.messages, parts: summary.parts, fault: fault?.kind });
    }
    const delivery = deliveryFor(fault, ctx.tokenDelayMs, dialect.errors, presentedKey(request));
    const answer = composeAnswer(summary, maxTokens, sampling);
    const finish = finishReason(dialect, answer);
    const meta = { id: ctx.nextId('chatcmpl-'), created: Math.floor(Date.now() / 1000), model: body.model };
    const headers = { 'x-request-id': ctx.nextId('req_') };

    if (stream) {
      const includeUsage = dialect.streamUsage === 'with_finish' || body.stream_options?.include_usage === true;
      await streamTokens(reply, answer.tokens, delivery, ctx.closing, chunkFraming(dialect, meta, answer, includeUsage, headers));
      return;
    }
    if (!(await awaitWholeAnswer(reply, answer.tokens.length, delivery, ctx.closing))) return;
    return reply.headers(headers).send({
      ...meta,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: answer.tokens.join(''), refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finish,
        },
      ],
      usage: usageOf(answer),
    });
  };
}

/** The answer's finish reason in the provider's words: Zhipu calls a withheld answer `sensitive`. */
function finishReason(dialect: ChatDialect, answer: Answer): string {
  return answer.finish === 'content_filter' && dialect.provider === 'zhipu' ? 'sensitive' : answer.finish;
}

function chunkFraming(
  dialect: ChatDialect,
  meta: { id: string; created: number; model: string },
  answer: Answer,
  includeUsage: boolean,
  headers: Record<string, string>,
): StreamFraming {
  const chunk = (choices: unknown[], extra: object = {}) =>
    sseFrame(JSON.stringify({ ...meta, object: 'chat.completion.chunk', choices, ...extra }));
  const choice = (delta: object, finishReason: string | null) => ({ index: 0, delta, logprobs: null, finish_reason: finishReason });
  // OpenAI marks every chunk `usage: null` once usage was asked for, and sends the figures last.
  const pendingUsage = includeUsage && dialect.streamUsage === 'on_request' ? { usage: null } : {};
  return {
    headers,
    head: () => [chunk([choice({ role: 'assistant', content: '', refusal: null }, null)], pendingUsage)],
    token: (text) => chunk([choice({ content: text }, null)], pendingUsage),
    tail: () => {
      const usage = usageOf(answer);
      const reason = finishReason(dialect, answer);
      if (dialect.streamUsage === 'with_finish') return [chunk([choice({}, reason)], { usage }), sseFrame('[DONE]')];
      const finish = chunk([choice({}, reason)], pendingUsage);
      return includeUsage ? [finish, chunk([], { usage }), sseFrame('[DONE]')] : [finish, sseFrame('[DONE]')];
    },
  };
}
