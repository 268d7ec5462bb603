import { Type, type Static } from 'typebox';

/**
 * The parts of OpenAI's Chat Completions request the gateway takes, as sent by the `openai` SDK
 * and compatible clients. Only the gateway speaks this dialect (services behind it get
 * `StartTurn`), so the schema lives here rather than in the shared protocol. Unknown fields are
 * allowed, since clients send options we have no use for.
 */
const TextPart = Type.Object({ type: Type.Literal('text'), text: Type.String() });
const ImagePart = Type.Object({
  type: Type.Literal('image_url'),
  image_url: Type.Object({ url: Type.String(), detail: Type.Optional(Type.String()) }),
});
const AudioPart = Type.Object({
  type: Type.Literal('input_audio'),
  input_audio: Type.Object({ data: Type.String(), format: Type.Optional(Type.String()) }),
});
export const OpenAiPart = Type.Union([TextPart, ImagePart, AudioPart]);
export type OpenAiPart = Static<typeof OpenAiPart>;

export const OpenAiMessage = Type.Object({
  role: Type.Union([Type.Literal('system'), Type.Literal('developer'), Type.Literal('user'), Type.Literal('assistant')]),
  content: Type.Union([Type.String(), Type.Array(OpenAiPart), Type.Null()]),
  name: Type.Optional(Type.String()),
});
export type OpenAiMessage = Static<typeof OpenAiMessage>;

export const ChatCompletionRequest = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 200 }),
  messages: Type.Array(OpenAiMessage, { minItems: 1 }),
  stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  stream_options: Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }), Type.Null()])),
  max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 200_000 }), Type.Null()])),
  max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 200_000 }), Type.Null()])),
  temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
  n: Type.Optional(Type.Union([Type.Literal(1), Type.Null()])),
  stop: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 4 }), Type.Null()])),
  top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
  seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  presence_penalty: Type.Optional(Type.Union([Type.Number({ minimum: -2, maximum: 2 }), Type.Null()])),
  frequency_penalty: Type.Optional(Type.Union([Type.Number({ minimum: -2, maximum: 2 }), Type.Null()])),
  response_format: Type.Optional(
    Type.Union([
      Type.Object({ type: Type.Union([Type.Literal('text'), Type.Literal('json_object')]) }),
      Type.Object({
        type: Type.Literal('json_schema'),
        json_schema: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 64 }),
          schema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
          description: Type.Optional(Type.String()),
        }),
      }),
      Type.Null(),
    ]),
  ),
});

/**
 * Request fields whose meaning the gateway cannot deliver: refused with 400 rather than dropped,
 * since a program that asks for a tool call, log-probabilities or spoken output and silently gets
 * plain text fails later and less clearly. Fields that only describe the caller (`user`,
 * `metadata`, `store`, `service_tier`) are accepted and ignored.
 */
export const UNSUPPORTED_FIELDS = [
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'functions',
  'function_call',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'audio',
  'modalities',
  'prediction',
  'web_search_options',
] as const;
export type ChatCompletionRequest = Static<typeof ChatCompletionRequest>;

export type FinishReason = 'stop' | 'length' | 'content_filter';

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** `chat.completion`: the unstreamed answer. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: 0; message: { role: 'assistant'; content: string; refusal: null }; finish_reason: FinishReason; logprobs: null }[];
  /** Absent when the provider reported none. */
  usage?: CompletionUsage;
}

/** `chat.completion.chunk`: one event of the streamed answer. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: 0; delta: { role?: 'assistant'; content?: string }; finish_reason: FinishReason | null; logprobs: null }[];
  usage?: CompletionUsage | null;
}

/** The type OpenAI's error body carries, which its SDKs read, from our status. */
export function openAiErrorType(statusCode: number): string {
  if (statusCode === 401) return 'authentication_error';
  if (statusCode === 403) return 'permission_error';
  if (statusCode === 404) return 'not_found_error';
  if (statusCode === 429) return 'rate_limit_error';
  if (statusCode >= 500) return 'api_error';
  return 'invalid_request_error';
}
