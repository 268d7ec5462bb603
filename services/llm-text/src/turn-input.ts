import type { ChatMessage } from '@voxgate/protocol';
import type { AttachmentStore } from './attachments.js';
import { errors } from './errors.js';
import type { ModelRoute } from './providers/registry.js';
import type { InputMessage, InputPart, Transcriber } from './providers/types.js';
import { withRetries, type RetryContext } from './retries.js';
import { UpstreamFailure } from './upstream-failure.js';

/** A message of the context, with the transcript its voice messages were sent as before. */
export interface ContextMessage {
  message: ChatMessage;
  transcript?: string | undefined;
}

export interface InputSources {
  route: ModelRoute;
  attachments: AttachmentStore;
  transcriber: Transcriber | undefined;
  retry: RetryContext;
  /** Called with each transcript made for this turn, in order. */
  onTranscript(text: string): void;
}

/**
 * Turns the protocol's messages (attachments by id) into what a provider takes: bytes loaded from
 * the attachment store, and voice messages sent as audio where the model takes that format, else
 * as their transcript (the stored one for earlier turns; a new one through the transcriber).
 * Returns the messages and the transcript made for this turn, if any.
 */
export async function buildInput(context: ContextMessage[], sources: InputSources): Promise<{ messages: InputMessage[]; transcript?: string }> {
  const made: string[] = [];
  const messages: InputMessage[] = [];
  for (const { message, transcript } of context) {
    const parts: InputPart[] = [];
    let transcriptUsed = false;
    for (const part of message.content) {
      if (part.type === 'text') {
        parts.push({ type: 'text', text: part.text });
        continue;
      }
      if (part.type === 'image' && !sources.route.entry.input.includes('image')) {
        // An earlier turn's image, now asked of a model without eyes.
        parts.push({ type: 'text', text: '[image]' });
        continue;
      }
      if (part.type === 'audio' && transcript !== undefined) {
        if (!transcriptUsed) parts.push({ type: 'text', text: transcript });
        transcriptUsed = true;
        continue;
      }
      const loaded = await sources.attachments.read(part.attachmentId);
      if (loaded === undefined) throw errors.attachment_not_found({ message: `Attachment ${part.attachmentId} does not exist (any more).` });
      const { mime } = loaded.attachment;
      if (part.type === 'image') {
        parts.push({ type: 'image', mime, data: loaded.data });
      } else if (sources.route.entry.input.includes('audio') && sources.route.provider.takesAudioFormat(mime)) {
        parts.push({ type: 'audio', mime, data: loaded.data });
      } else {
        const text = await transcribe(sources, { mime, data: loaded.data });
        made.push(text);
        sources.onTranscript(text);
        parts.push({ type: 'text', text });
      }
    }
    messages.push({ role: message.role, parts });
  }
  return made.length === 0 ? { messages } : { messages, transcript: made.join('\n') };
}

async function transcribe(sources: InputSources, audio: { mime: string; data: Buffer }): Promise<string> {
  const { transcriber } = sources;
  if (transcriber === undefined) {
    throw errors.unsupported_input({ message: 'This model takes no audio, and no transcription model is configured.' });
  }
  try {
    const { value, release } = await withRetries((signal) => transcriber.transcribe(audio, signal), { ...sources.retry, what: 'transcription' });
    release();
    return value;
  } catch (error) {
    if (error instanceof UpstreamFailure) {
      throw new UpstreamFailure(error.code === 'upstream_rejected' ? 'transcription_failed' : error.code, error.retryable, `Transcription failed: ${error.message}`, error.details, { cause: error });
    }
    throw error;
  }
}
