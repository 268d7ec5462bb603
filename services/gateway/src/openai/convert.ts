import { createHash } from 'node:crypto';
import { ChatLimits, createParser, type Attachment, type ChatMessage, type ContentPart, type GenerationOptions, type StartTurn } from '@voxgate/protocol';
import { ServiceError } from '@voxgate/service-kit';
import { admitAttachment, maxBytesFor, type AttachmentKind } from '../attachment-intake.js';
import { checkParts, isEmptyMessage } from '../chat-input.js';
import { errors } from '../errors.js';
import { ChatCompletionRequest, UNSUPPORTED_FIELDS, type OpenAiPart } from './wire.js';

const requestParser = createParser(ChatCompletionRequest);
const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)?(?:;[a-z0-9=.-]+)*;base64,/i;

/** An attachment the request carried inline, checked and waiting to be stored. */
export interface PendingAttachment {
  record: Attachment;
  bytes: Buffer;
  /** The SHA-256 of the bytes: a history resent with each call carries the same file again and again. */
  key: string;
}

export interface ConvertedRequest {
  start: StartTurn;
  attachments: PendingAttachment[];
  stream: boolean;
  includeUsage: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Inline base64 → checked attachment, once per distinct file of the request: the same bytes
 * again (an image in an earlier message and in the new one) refer to the first. The encoded
 * length bounds the size before anything is decoded.
 */
function inlineAttachment(base64: string, kind: AttachmentKind, pending: Map<string, PendingAttachment>): PendingAttachment {
  if (Math.floor((base64.length * 3) / 4) > maxBytesFor(kind) + 3) {
    throw errors.attachment_too_large({ message: `An ${kind} may have at most ${maxBytesFor(kind)} bytes.` });
  }
  const bytes = Buffer.from(base64, 'base64');
  const key = createHash('sha256').update(bytes).digest('base64url');
  const seen = pending.get(key);
  if (seen !== undefined && seen.record.kind === kind) return seen;
  const admitted = admitAttachment(bytes, kind);
  if (admitted instanceof ServiceError) throw admitted;
  const attachment = { record: admitted, bytes, key };
  pending.set(key, attachment);
  return attachment;
}

function convertPart(part: OpenAiPart, pending: Map<string, PendingAttachment>): ContentPart {
  if (part.type === 'text') return { type: 'text', text: part.text };
  if (part.type === 'image_url') {
    const url = part.image_url.url;
    const prefix = DATA_URL.exec(url);
    // The gateway fetches nothing a request names: upstream URLs come only from configuration.
    if (!prefix) throw errors.invalid_request({ message: 'image_url must be a data: URL with base64 content.' });
    return { type: 'image', attachmentId: inlineAttachment(url.slice(prefix[0].length), 'image', pending).record.id };
  }
  return { type: 'audio', attachmentId: inlineAttachment(part.input_audio.data, 'audio', pending).record.id };
}

/** The turn with its attachments renamed (`from` → `to`): where a copy of the same bytes was stored already. */
export function renameAttachments(start: StartTurn, renamed: ReadonlyMap<string, string>): StartTurn {
  if (renamed.size === 0) return start;
  const rename = (part: ContentPart): ContentPart => (part.type === 'text' ? part : { ...part, attachmentId: renamed.get(part.attachmentId) ?? part.attachmentId });
  return { ...start, messages: start.messages.map((message) => ({ ...message, content: message.content.map(rename) })) };
}

/** Whether a field asks for something (`tools: []`, `logprobs: false`, `tool_choice: 'none'` do not). */
function asks(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 'none' || value === 0) return false;
  if (Array.isArray(value)) return value.length > 0 && !(value.length === 1 && value[0] === 'text');
  if (isRecord(value)) return Object.keys(value).length > 0;
  return true;
}

/** The first request field (or message) asking for what the gateway cannot deliver, refused by name. */
function refuseUnsupported(body: Record<string, unknown>): void {
  for (const field of UNSUPPORTED_FIELDS) {
    if (field !== 'parallel_tool_calls' && asks(body[field])) {
      throw errors.unsupported_parameter({ message: `Unsupported parameter: '${field}' is not supported by this server (no function calling, log-probabilities or audio output).` });
    }
  }
  if (!Array.isArray(body.messages)) return;
  for (const [i, message] of body.messages.entries()) {
    if (!isRecord(message)) continue;
    if (message.role === 'tool' || message.role === 'function' || asks(message.tool_calls) || asks(message.function_call)) {
      throw errors.unsupported_parameter({ message: `messages[${i}]: tool calls and tool results are not supported by this server (no function calling).` });
    }
  }
}

/** OpenAI's sampling and format fields as the turn's generation options. */
function optionsOf(request: ChatCompletionRequest): GenerationOptions | undefined {
  const format = request.response_format;
  const options: GenerationOptions = {
    ...(request.stop === undefined || request.stop === null ? {} : { stop: typeof request.stop === 'string' ? [request.stop] : request.stop }),
    ...(request.top_p === undefined || request.top_p === null ? {} : { topP: request.top_p }),
    ...(request.seed === undefined || request.seed === null ? {} : { seed: request.seed }),
    ...(request.presence_penalty === undefined || request.presence_penalty === null ? {} : { presencePenalty: request.presence_penalty }),
    ...(request.frequency_penalty === undefined || request.frequency_penalty === null ? {} : { frequencyPenalty: request.frequency_penalty }),
  };
  if (format?.type === 'json_object') options.responseFormat = { type: 'json_object' };
  if (format?.type === 'json_schema') {
    const { name, schema, strict } = format.json_schema;
    options.responseFormat = { type: 'json_schema', name, schema: schema ?? {}, ...(strict === undefined || strict === null ? {} : { strict }) };
  }
  return Object.keys(options).length === 0 ? undefined : options;
}

/**
 * An OpenAI Chat Completions request as a stateless turn: the whole context as `messages`, inline
 * images and audio split out as attachments (stored by the caller before the turn starts).
 */
export function fromChatCompletionRequest(body: unknown, turnId: string): ConvertedRequest {
  if (!isRecord(body)) throw errors.invalid_request({ message: 'The body must be a JSON object.' });
  refuseUnsupported(body);
  if (Array.isArray(body.messages)) {
    if (body.messages.length > ChatLimits.messagesPerRequest) {
      throw errors.too_many_messages({ message: `A request may have at most ${ChatLimits.messagesPerRequest} messages.` });
    }
    for (const message of body.messages) {
      if (isRecord(message)) {
        const tooBig = checkParts(message.content);
        if (tooBig) throw tooBig;
        if (typeof message.content === 'string' && message.content.length > ChatLimits.textChars) {
          throw errors.text_too_long({ message: `A text part may have at most ${ChatLimits.textChars} characters.` });
        }
      }
    }
  }
  const parsed = requestParser.parse(body);
  if (!parsed.ok) throw errors.invalid_request({ message: `Invalid chat completion request at ${parsed.error}` });
  const request = parsed.value;

  const pending = new Map<string, PendingAttachment>();
  const messages: ChatMessage[] = [];
  for (const message of request.messages) {
    const role = message.role === 'developer' ? 'system' : message.role;
    if (message.content === null) continue;
    const content: ContentPart[] =
      typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content.map((p) => convertPart(p, pending));
    if (content.length === 0) continue;
    messages.push({ role, content });
  }
  if (!messages.some((m) => m.role === 'user' && !isEmptyMessage(m))) {
    throw errors.empty_message({ message: 'The request has no user message with text, an image or audio.' });
  }

  const maxOutputTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const temperature = request.temperature ?? undefined;
  const options = optionsOf(request);
  const start: StartTurn = {
    turnId,
    model: request.model,
    mode: 'stateless',
    messages,
    ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
    ...(temperature === undefined ? {} : { temperature }),
    ...(options === undefined ? {} : { options }),
  };
  return { start, attachments: [...pending.values()], stream: request.stream === true, includeUsage: request.stream_options?.include_usage === true };
}
