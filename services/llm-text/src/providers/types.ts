import type { ChatRole, GenerationOptions, Usage } from '@voxgate/protocol';

/** A content part with its bytes loaded from the attachment store, ready for a provider. */
export type InputPart =
  | { type: 'text'; text: string }
  | { type: 'image'; mime: string; data: Buffer }
  | { type: 'audio'; mime: string; data: Buffer };

export interface InputMessage {
  role: ChatRole;
  parts: InputPart[];
}

export interface ProviderRequest {
  /** The provider's own model id (a compatible server's model without the `<server>/` prefix). */
  model: string;
  messages: InputMessage[];
  /** Unset: the provider's own limit for the model. */
  maxOutputTokens?: number | undefined;
  temperature?: number | undefined;
  options?: GenerationOptions | undefined;
}

/** A generation option, or `json_schema` for a `responseFormat` of that type. */
export type GenerationOption = Exclude<keyof GenerationOptions, 'responseFormat'> | 'json_object' | 'json_schema';

/** The options a request asks for, in the terms providers declare what they take. */
export function optionsAskedFor(options: GenerationOptions | undefined): GenerationOption[] {
  if (options === undefined) return [];
  const asked: GenerationOption[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    asked.push(key === 'responseFormat' ? (value as { type: 'json_object' | 'json_schema' }).type : (key as GenerationOption));
  }
  return asked;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'other';

/** What a provider stream yields; text events are never empty. */
export type StreamEvent = { type: 'text'; text: string } | { type: 'finish'; reason: FinishReason } | { type: 'usage'; usage: Usage };

/**
 * One provider behind an SDK. `stream` throws `UpstreamFailure`s (or whatever the abort produced,
 * which the caller recognises by its own signal). SDK retries are off: retries are the caller's.
 */
export interface ChatProvider {
  stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent>;
  /** The generation options this provider's API takes; a turn asking for another is refused. */
  readonly options: ReadonlySet<GenerationOption>;
  /**
   * Whether audio in this media type can be sent as audio (to a model whose catalogue entry takes
   * audio); otherwise the turn sends its transcript.
   */
  takesAudioFormat(mime: string): boolean;
}

/** A provider with a speech-to-text endpoint. */
export interface Transcriber {
  transcribe(audio: { mime: string; data: Buffer }, signal: AbortSignal): Promise<string>;
}

/** The text parts of a message joined, for roles that take plain text. */
export function textOf(message: InputMessage): string {
  return message.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
}
