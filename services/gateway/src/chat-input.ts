import { ChatLimits, ChatRequest, createParser, type ChatMessage, type ContentPart } from '@voxgate/protocol';
import type { ServiceError } from '@voxgate/service-kit';
import { errors } from './errors.js';

const chatRequestParser = createParser(ChatRequest);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The limits a client most often trips, checked before the schema so that each gets its own code
 * rather than the schema's first complaint.
 */
export function checkParts(content: unknown): ServiceError | undefined {
  if (!Array.isArray(content)) return undefined;
  if (content.length > ChatLimits.partsPerMessage) {
    return errors.too_many_parts({ message: `A message may have at most ${ChatLimits.partsPerMessage} parts.` });
  }
  for (const part of content) {
    if (isRecord(part) && typeof part.text === 'string' && part.text.length > ChatLimits.textChars) {
      return errors.text_too_long({ message: `A text part may have at most ${ChatLimits.textChars} characters.` });
    }
  }
  return undefined;
}

/** True when a part carries something: an attachment, or text that is not only white space. */
const hasContent = (part: ContentPart): boolean => part.type !== 'text' || part.text.trim() !== '';

export function isEmptyMessage(message: ChatMessage): boolean {
  return !message.content.some(hasContent);
}

/**
 * Refuses a body that is not JSON by its `Content-Type`. Fastify also parses `text/plain`, which
 * would otherwise reach the schema and be refused with a less helpful code.
 */
export function requireJson(contentType: string | undefined): void {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw errors.unsupported_media_type({ message: 'Send the body as application/json.' });
}

/** `POST /api/chat`'s body, parsed at the boundary; throws the gateway error that says what is wrong. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isRecord(body)) throw errors.invalid_request({ message: 'The body must be a JSON object.' });
  if (isRecord(body.message)) {
    const tooBig = checkParts(body.message.content);
    if (tooBig) throw tooBig;
    if (Array.isArray(body.message.content) && body.message.content.length === 0) throw errors.empty_message();
  }
  const parsed = chatRequestParser.parse(body);
  if (!parsed.ok) throw errors.invalid_request({ message: `Invalid chat request at ${parsed.error}` });
  const request = parsed.value;
  if (request.message === undefined) {
    if (request.regenerate !== true) throw errors.empty_message({ message: 'Send a message, or regenerate: true.' });
    if (request.conversationId === undefined) {
      throw errors.invalid_request({ message: 'regenerate needs the conversationId of the answer to replace.' });
    }
  } else {
    if (request.message.role !== 'user') throw errors.invalid_request({ message: 'The new message must have role "user".' });
    if (isEmptyMessage(request.message)) throw errors.empty_message();
  }
  return request;
}
