import { type Static, Type } from 'typebox';
import { MAX_ANSWER_TOKENS, type Sampling } from '../answers.js';
import { type ConversationSummary, inlineAudio, inlineImage, imageByUrl, type PartSummary } from '../content.js';
import { decodeBase64 } from '../media/base64.js';
import type { ErrorDialect, ProviderError } from '../provider.js';
import { checker, dottedParam } from '../validate.js';

const TokenBudget = Type.Union([Type.Integer({ minimum: 1, maximum: MAX_ANSWER_TOKENS }), Type.Null()]);

/**
 * A content part. Its fields are checked per `type` in code, so a malformed image part gets an
 * error naming `image_url` rather than a schema union's "matches none of".
 */
const ContentPart = Type.Object({
  type: Type.String(),
  text: Type.Optional(Type.String()),
  image_url: Type.Optional(Type.Object({ url: Type.String(), detail: Type.Optional(Type.String()) })),
  input_audio: Type.Optional(Type.Object({ data: Type.String(), format: Type.String() })),
});

const Message = Type.Object({
  role: Type.Enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: Type.Optional(Type.Union([Type.String(), Type.Null(), Type.Array(ContentPart)])),
});

/** The fields of a chat completions request the simulator reads; the rest are accepted and ignored. */
export const ChatRequest = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(Message, { minItems: 1 }),
  stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  stream_options: Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }), Type.Null()])),
  max_tokens: Type.Optional(TokenBudget),
  max_completion_tokens: Type.Optional(TokenBudget),
  n: Type.Optional(Type.Union([Type.Literal(1), Type.Null()])),
  stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 }), Type.Null()])),
  top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
  seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  presence_penalty: Type.Optional(Type.Union([Type.Number({ minimum: -2, maximum: 2 }), Type.Null()])),
  frequency_penalty: Type.Optional(Type.Union([Type.Number({ minimum: -2, maximum: 2 }), Type.Null()])),
  response_format: Type.Optional(
    Type.Union([
      Type.Object({ type: Type.Union([Type.Literal('text'), Type.Literal('json_object')]) }),
      Type.Object({ type: Type.Literal('json_schema'), json_schema: Type.Object({ name: Type.String({ minLength: 1 }) }) }),
      Type.Null(),
    ]),
  ),
});
export type ChatRequest = Static<typeof ChatRequest>;

/** The request's sampling and format options; undefined when it carried none. */
export function samplingOf(request: ChatRequest): Sampling | undefined {
  const stop = typeof request.stop === 'string' ? [request.stop] : (request.stop ?? undefined);
  const format = request.response_format?.type;
  const sampling: Sampling = {
    ...(stop === undefined || stop.length === 0 ? {} : { stop }),
    ...(request.top_p == null ? {} : { topP: request.top_p }),
    ...(request.seed == null ? {} : { seed: request.seed }),
    ...(request.presence_penalty == null ? {} : { presencePenalty: request.presence_penalty }),
    ...(request.frequency_penalty == null ? {} : { frequencyPenalty: request.frequency_penalty }),
    ...(format === 'json_object' || format === 'json_schema' ? { responseFormat: format } : {}),
  };
  return Object.keys(sampling).length === 0 ? undefined : sampling;
}

const checkChatRequest = checker(ChatRequest);

/** Where an `image_url.url` points, once a provider's rules have been applied to it. */
export type ImageSource = { kind: 'inline'; bytes: Buffer; mimeType?: string } | { kind: 'url'; url: string };

/** The provider-specific part of reading a chat request: images and their errors. */
export interface ChatRequestRules {
  errors: ErrorDialect;
  /** Reads `image_url.url` under this provider's rules, or throws its error. */
  imageSource(url: string, model: string, param: string): ImageSource;
  /** The error for inline bytes that decode as no known image. */
  undecodableImage(param: string): ProviderError;
}

/** Validates a chat completions body and summarises it; throws the provider's 400 when malformed. */
export function readChatRequest(body: unknown, rules: ChatRequestRules): { request: ChatRequest; summary: ConversationSummary } {
  const checked = checkChatRequest(body);
  if (!checked.ok) {
    const param = dottedParam(checked.problem.pointer);
    const where = param === '' ? 'the request body' : `'${param}'`;
    throw rules.errors.invalidRequest(`Invalid value for ${where}: ${checked.problem.message}.`, param || undefined);
  }
  const request = checked.value;
  const parts: PartSummary[] = [];
  const promptTexts: string[] = [];
  let lastUserText: string | undefined;
  for (const [m, message] of request.messages.entries()) {
    const content = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : (message.content ?? []);
    const texts: string[] = [];
    for (const [p, part] of content.entries()) {
      const param = `messages[${m}].content[${p}]`;
      const summary = readPart(part, message.role, request.model, param, rules);
      parts.push(summary);
      if (part.type === 'text' && part.text !== undefined) texts.push(part.text);
    }
    promptTexts.push(...texts);
    if (message.role === 'user') lastUserText = texts.length > 0 ? texts.join('\n') : undefined;
  }
  // OpenAI's own rule: JSON mode must be asked for in words too, or the model may never stop.
  if (request.response_format?.type === 'json_object' && !promptTexts.some((text) => /json/i.test(text))) {
    throw rules.errors.invalidRequest("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", 'messages');
  }
  return { request, summary: { model: request.model, messages: request.messages.length, lastUserText, parts, promptTexts } };
}

type Part = Static<typeof ContentPart>;

function readPart(part: Part, role: string, model: string, param: string, rules: ChatRequestRules): PartSummary {
  switch (part.type) {
    case 'text':
      if (part.text === undefined) throw rules.errors.invalidRequest(`Missing required parameter: '${param}.text'.`, `${param}.text`);
      return { role, type: 'text', chars: part.text.length };
    case 'image_url': {
      if (part.image_url === undefined) {
        throw rules.errors.invalidRequest(`Missing required parameter: '${param}.image_url'.`, `${param}.image_url`);
      }
      const source = rules.imageSource(part.image_url.url, model, `${param}.image_url.url`);
      if (source.kind === 'url') return imageByUrl(role, source.url);
      const image = inlineImage(role, source.bytes, source.mimeType);
      if (image === undefined) throw rules.undecodableImage(`${param}.image_url.url`);
      return image;
    }
    case 'input_audio': {
      const bytes = part.input_audio === undefined ? undefined : decodeBase64(part.input_audio.data);
      if (part.input_audio === undefined || bytes === undefined) {
        throw rules.errors.invalidRequest(`Invalid value for '${param}.input_audio.data': expected base64-encoded audio.`, `${param}.input_audio.data`);
      }
      return inlineAudio(role, bytes, part.input_audio.format);
    }
    default:
      return { role, type: 'other', kind: part.type };
  }
}
