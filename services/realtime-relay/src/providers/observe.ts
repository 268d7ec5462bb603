import { createParser, RealtimeInputTranscript, RealtimeOutputTranscript, RealtimeResponseDone } from '@voxgate/protocol';
import type { SessionPort } from './types.js';

const parseDone = createParser(RealtimeResponseDone);
const parseInput = createParser(RealtimeInputTranscript);
const parseOutput = createParser(RealtimeOutputTranscript);

/** GA server events the relay reads (for usage and history) while passing them on unchanged. */
export const OBSERVED_SERVER_EVENTS = new Set([
  'response.done',
  'conversation.item.input_audio_transcription.completed',
  'response.output_audio_transcript.done',
  'response.output_text.done',
  'conversation.item.truncated',
  'input_audio_buffer.committed',
  'response.created',
  'error',
]);

/**
 * Reports what a GA server event says about usage and transcripts. An answer's transcript waits in
 * `port.heard` until the answer can no longer be truncated: a committed utterance or a new
 * response settles the answers before it.
 */
export function observeServerEvent(event: unknown, port: SessionPort): void {
  const type = (event as { type?: unknown }).type;
  if (type === 'response.done') {
    const done = parseDone.parse(event);
    if (!done.ok) return;
    const usage = done.value.response.usage;
    port.responseDone(
      done.value.response.id,
      usage ? { input: usage.input_tokens ?? 0, output: usage.output_tokens ?? 0, total: usage.total_tokens ?? 0 } : undefined,
    );
  } else if (type === 'conversation.item.input_audio_transcription.completed') {
    const input = parseInput.parse(event);
    if (input.ok) port.transcript('user', input.value.transcript, input.value.item_id);
  } else if (type === 'response.output_audio_transcript.done' || type === 'response.output_text.done') {
    const output = parseOutput.parse(event);
    if (!output.ok) return;
    const text = output.value.transcript ?? output.value.text ?? '';
    // GA names the item; without one there is nothing a truncate could refer to.
    if (output.value.item_id === undefined) port.transcript('assistant', text, undefined);
    else port.heard.transcript(output.value.item_id, text);
  } else if (type === 'conversation.item.truncated') {
    const { item_id: itemId, audio_end_ms: audioEndMs } = event as { item_id?: unknown; audio_end_ms?: unknown };
    if (typeof itemId === 'string' && typeof audioEndMs === 'number') port.heard.truncated(itemId, audioEndMs);
  } else if (type === 'input_audio_buffer.committed' || type === 'response.created') {
    port.heard.settle();
  } else if (type === 'error') {
    const error = (event as { error?: { code?: unknown; type?: unknown } }).error;
    port.log.info({ code: error?.code, errorType: error?.type }, 'provider sent an error event');
  }
}
