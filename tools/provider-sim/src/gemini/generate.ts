import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Answer, composeAnswer } from '../answers.js';
import type { SimContext } from '../context.js';
import { deliveryFor } from '../delivery.js';
import { presentedKey } from '../provider-scope.js';
import { awaitWholeAnswer, streamTokens } from '../respond.js';
import { sseFrame } from '../sse.js';
import { geminiErrors } from './errors.js';
import { readGenerateRequest } from './request.js';

/** `generateContent` answers once; `streamGenerateContent` streams SSE with `alt=sse`, else a JSON array. */
export type GenerateMethod = 'generateContent' | 'streamGenerateContent';

interface ResponseMeta {
  model: string;
  responseId: string;
}

/** Handles `POST /{version}/models/{model}:{method}` once the path is split. */
export async function generate(
  ctx: SimContext,
  request: FastifyRequest,
  reply: FastifyReply,
  model: string,
  method: GenerateMethod,
): Promise<unknown> {
  const { summary, maxTokens, sampling } = readGenerateRequest(request.body, model);
  const sse = method === 'streamGenerateContent' && new URLSearchParams(request.url.split('?')[1] ?? '').get('alt') === 'sse';
  const fault = ctx.faults.take('gemini', model);
  const record = ctx.recordOf(request);
  if (record !== undefined) {
    ctx.requests.note(record, {
      model,
      stream: method === 'streamGenerateContent',
      maxTokens,
      sampling,
      messages: summary.messages,
      parts: summary.parts,
      fault: fault?.kind,
    });
  }
  const delivery = deliveryFor(fault, ctx.tokenDelayMs, geminiErrors, presentedKey(request));
  const answer = composeAnswer(summary, maxTokens, sampling);
  const meta: ResponseMeta = { model, responseId: ctx.nextId('') };

  if (sse) {
    await streamTokens(reply, answer.tokens, delivery, ctx.closing, {
      headers: {},
      head: () => [],
      // The last chunk carries its text together with the finish reason and usage, as Gemini's does.
      token: (text, _index, isLast) => sseFrame(JSON.stringify(chunk(meta, text, isLast ? answer : undefined)), '\r\n\r\n'),
      tail: () => [],
    });
    return;
  }
  if (!(await awaitWholeAnswer(reply, answer.tokens.length, delivery, ctx.closing))) return;
  if (method === 'generateContent') return reply.send(chunk(meta, answer.tokens.join(''), answer));
  return reply.send(answer.tokens.map((text, i) => chunk(meta, text, i === answer.tokens.length - 1 ? answer : undefined)));
}

const GEMINI_FINISH: Record<Answer['finish'], string> = { stop: 'STOP', length: 'MAX_TOKENS', content_filter: 'SAFETY' };

/** A GenerateContentResponse; `finished` adds the finish reason and usage metadata. */
function chunk(meta: ResponseMeta, text: string, finished: Answer | undefined) {
  const candidate = {
    content: { parts: [{ text }], role: 'model' },
    index: 0,
    ...(finished ? { finishReason: GEMINI_FINISH[finished.finish] } : {}),
  };
  return {
    candidates: [candidate],
    ...(finished ? { usageMetadata: usageMetadata(finished) } : {}),
    modelVersion: meta.model,
    responseId: meta.responseId,
  };
}

function usageMetadata(answer: Answer) {
  return {
    promptTokenCount: answer.promptTokens,
    candidatesTokenCount: answer.tokens.length,
    totalTokenCount: answer.promptTokens + answer.tokens.length,
  };
}
