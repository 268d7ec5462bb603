import { APIError, type OpenAI } from 'openai';
import type { ChatCompletionChunk, ChatCompletionContentPart, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { bodyOf } from './lean-fetch.js';
import { fromOpenAiError } from './openai-errors.js';
import { readSseEvents, type SseEvent } from './sse-reader.js';
import type { GenerationOptions } from '@voxgate/protocol';
import { textOf, type FinishReason, type GenerationOption, type InputMessage, type InputPart, type ProviderRequest, type StreamEvent } from './types.js';

/** How one OpenAI-style server wants a few things said; the rest of the protocol is shared. */
export interface ChatDialect {
  /** `image_url.url` for inline bytes: a data URL for most, bare base64 for Zhipu's GLM-4V. */
  imageUrl(model: string, mime: string, data: Buffer): string;
  /** `max_completion_tokens` (OpenAI, which refuses `max_tokens` on newer models) or `max_tokens`. */
  tokenLimitField: 'max_completion_tokens' | 'max_tokens';
  /** Whether to ask for usage with `stream_options` (servers that always send it may refuse the field). */
  askForUsage: boolean;
}

/** Every option of `GenerationOptions`: OpenAI's own API, and what compatible servers are passed. */
export const ALL_OPTIONS: ReadonlySet<GenerationOption> = new Set<GenerationOption>(['stop', 'topP', 'seed', 'presencePenalty', 'frequencyPenalty', 'json_object', 'json_schema']);

/** `GenerationOptions` in Chat Completions' own field names. */
function optionParams(options: GenerationOptions | undefined): Partial<ChatCompletionCreateParamsStreaming> {
  if (options === undefined) return {};
  const format = options.responseFormat;
  return {
    ...(options.stop === undefined ? {} : { stop: options.stop }),
    ...(options.topP === undefined ? {} : { top_p: options.topP }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.presencePenalty === undefined ? {} : { presence_penalty: options.presencePenalty }),
    ...(options.frequencyPenalty === undefined ? {} : { frequency_penalty: options.frequencyPenalty }),
    ...(format === undefined
      ? {}
      : format.type === 'json_object'
        ? { response_format: { type: 'json_object' } }
        : { response_format: { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, ...(format.strict === undefined ? {} : { strict: format.strict }) } } }),
  };
}

/** The `input_audio.format` for a media type, or undefined when chat completions cannot take it. */
export function inputAudioFormat(mime: string): 'wav' | 'mp3' | undefined {
  if (mime === 'audio/wav' || mime === 'audio/x-wav' || mime === 'audio/wave') return 'wav';
  if (mime === 'audio/mpeg' || mime === 'audio/mp3') return 'mp3';
  return undefined;
}

export function dataUrl(mime: string, data: Buffer): string {
  return `data:${mime};base64,${data.toString('base64')}`;
}

function contentPart(part: InputPart, model: string, dialect: ChatDialect): ChatCompletionContentPart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image':
      return { type: 'image_url', image_url: { url: dialect.imageUrl(model, part.mime, part.data) } };
    case 'audio':
      // The turn only sends audio to models whose `takesAudio` said yes, so the format is known.
      return { type: 'input_audio', input_audio: { data: part.data.toString('base64'), format: inputAudioFormat(part.mime) ?? 'wav' } };
  }
}

function toMessage(message: InputMessage, model: string, dialect: ChatDialect): ChatCompletionMessageParam {
  if (message.role === 'user') {
    const onlyText = message.parts.every((p) => p.type === 'text');
    // Plain text stays a string: some compatible servers take nothing else.
    return { role: 'user', content: onlyText ? textOf(message) : message.parts.map((p) => contentPart(p, model, dialect)) };
  }
  return { role: message.role, content: textOf(message) };
}

function finishReason(reason: ChatCompletionChunk.Choice['finish_reason']): FinishReason {
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  // Zhipu names a withheld answer `sensitive`.
  if (reason === 'content_filter' || (reason as string) === 'sensitive') return 'content_filter';
  return 'other';
}

/** One event's data as a chat completion chunk; a server's error event throws as the SDK would. */
function chunkOf(sse: SseEvent, headers: Headers): ChatCompletionChunk {
  let data: (ChatCompletionChunk & { error?: unknown }) | undefined;
  try {
    data = JSON.parse(sse.data) as ChatCompletionChunk & { error?: unknown };
  } catch {
    throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
  }
  if (sse.event === 'error') throw new APIError(undefined, (data?.error ?? data) as object, undefined, headers);
  if (data?.error) throw new APIError(undefined, data.error as object, undefined, headers);
  return data;
}

/**
 * Streams a chat completion from an OpenAI-style server as `StreamEvent`s. The SDK sends the
 * request (auth, base URL, timeouts, errors of a refused request); its body is read here with
 * `readSseEvents`, which costs a fraction of the SDK's reader per token.
 */
export async function* streamChatCompletion(
  client: OpenAI,
  dialect: ChatDialect,
  request: ProviderRequest,
  signal: AbortSignal,
): AsyncIterable<StreamEvent> {
  const params: ChatCompletionCreateParamsStreaming = {
    model: request.model,
    messages: request.messages.map((m) => toMessage(m, request.model, dialect)),
    stream: true,
    ...(request.maxOutputTokens === undefined ? {} : { [dialect.tokenLimitField]: request.maxOutputTokens }),
    ...(dialect.askForUsage ? { stream_options: { include_usage: true } } : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...optionParams(request.options),
  };
  let body: ReturnType<typeof bodyOf>;
  let complete = false;
  try {
    const response = await client.chat.completions.create(params, { signal }).asResponse();
    body = bodyOf(response);
    if (body === undefined) throw new SyntaxError('The provider answered a streamed request without a body.');
    for await (const batch of readSseEvents(body.chunks)) {
      for (const sse of batch) {
        // What follows `[DONE]` is ignored, as the SDK does; the rest of the body is read and dropped.
        if (sse.data === '[DONE]') {
          complete = true;
          return;
        }
        const chunk = chunkOf(sse, response.headers);
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content;
        if (typeof text === 'string' && text !== '') yield { type: 'text', text };
        if (choice?.finish_reason) yield { type: 'finish', reason: finishReason(choice.finish_reason) };
        if (chunk.usage) {
          yield { type: 'usage', usage: { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens } };
        }
      }
    }
  } catch (error) {
    if (signal.aborted) throw error;
    throw fromOpenAiError(error);
  } finally {
    if (complete) body?.release();
    else body?.cancel();
  }
}
