import type { ChatRole, Usage } from '@voxgate/protocol';

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
  maxOutputTokens: number;
  temperature?: number | undefined;
}

export type FinishReason = 'stop' | 'length' | 'other';

/** What a provider stream yields; text events are never empty. */
export type StreamEvent = { type: 'text'; text: string } | { type: 'finish'; reason: FinishReason } | { type: 'usage'; usage: Usage };

/**
 * One provider behind an SDK. `stream` throws `UpstreamFailure`s (or whatever the abort produced,
 * which the caller recognises by its own signal). SDK retries are off: retries are the caller's.
 */
export interface ChatProvider {
  stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent>;
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
