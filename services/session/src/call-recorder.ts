import {
  createParser,
  RealtimeInputTranscript,
  RealtimeOutputTranscript,
  RealtimeResponseDone,
  type ConversationTurn,
} from '@voxgate/protocol';
import type { VoiceExchange } from '@voxgate/service-kit';

const parseInput = createParser(RealtimeInputTranscript);
const parseOutput = createParser(RealtimeOutputTranscript);
const parseDone = createParser(RealtimeResponseDone);

/** Characters of one side's pending words kept per call before older text is cut. */
const MAX_PENDING_CHARS = 20_000;
/** Responses whose transcript is collected at once; more means `response.done` never came for some. */
const MAX_OPEN_RESPONSES = 16;

/** GA `response.done.response.status` → the history's turn status. */
function turnStatus(status: string | undefined): ConversationTurn['status'] {
  if (status === 'cancelled') return 'stopped';
  if (status === 'failed') return 'failed';
  return 'done';
}

/** The text of `response.done.response.output[].content[]`, read loosely (the schema does not cover it). */
function outputText(event: unknown): string {
  const output = (event as { response?: { output?: unknown } }).response?.output;
  if (!Array.isArray(output)) return '';
  const parts: string[] = [];
  for (const item of output) {
    const content = (item as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    for (const part of content) {
      const p = part as { transcript?: unknown; text?: unknown };
      if (typeof p.transcript === 'string') parts.push(p.transcript);
      else if (typeof p.text === 'string') parts.push(p.text);
    }
  }
  return parts.join(' ').trim();
}

/**
 * Turns a call's GA server events into history exchanges: the user's transcribed words since the
 * last answer, then the answer's transcript, recorded when `response.done` brings its status and
 * usage. Input transcription is asynchronous, so words that arrive after the answer was recorded
 * belong to the next exchange; that is the cost of recording without holding answers back.
 *
 * Only spoken words count for the user, as in the relay's recorder: the page's only `input_text`
 * items are the conversation so far, re-seeded into a new call after a reconnect, and recording
 * them would store every earlier utterance again in front of the next one.
 */
export class CallRecorder {
  #pendingUser = '';
  readonly #answers = new Map<string, string[]>();

  constructor(readonly onExchange: (exchange: VoiceExchange) => void) {}

  handle(event: unknown): void {
    const type = (event as { type?: unknown }).type;
    if (type === 'conversation.item.input_audio_transcription.completed') {
      const parsed = parseInput.parse(event);
      if (parsed.ok) this.#addUser(parsed.value.transcript);
      return;
    }
    if (type === 'response.output_audio_transcript.done' || type === 'response.output_text.done') {
      const parsed = parseOutput.parse(event);
      if (!parsed.ok) return;
      const text = (parsed.value.transcript ?? parsed.value.text ?? '').trim();
      if (text === '') return;
      const key = parsed.value.response_id ?? '';
      if (!this.#answers.has(key) && this.#answers.size >= MAX_OPEN_RESPONSES) {
        const oldest = this.#answers.keys().next().value;
        if (oldest !== undefined) this.#answers.delete(oldest);
      }
      this.#answers.set(key, [...(this.#answers.get(key) ?? []), text]);
      return;
    }
    if (type === 'response.done') this.#responseDone(event);
  }

  #addUser(text: string): void {
    if (text.trim() === '') return;
    this.#pendingUser = [this.#pendingUser, text.trim()].filter(Boolean).join(' ').slice(-MAX_PENDING_CHARS);
  }

  #responseDone(event: unknown): void {
    const parsed = parseDone.parse(event);
    if (!parsed.ok) return;
    const { id, status, usage } = parsed.value.response;
    const key = id ?? '';
    // Transcripts without a response id (older servers) belong to whichever response ends next.
    const collected = [...(this.#answers.get(key) ?? []), ...(key === '' ? [] : (this.#answers.get('') ?? []))];
    this.#answers.delete(key);
    this.#answers.delete('');
    const answer = collected.join(' ').trim() || outputText(event);
    // A response with nothing said (a tool call, a cancelled start) leaves the user's words for the next.
    if (answer === '') return;
    const userText = this.#pendingUser;
    this.#pendingUser = '';
    this.onExchange({
      userText,
      answer,
      status: turnStatus(status),
      ...(usage ? { usage: { inputTokens: usage.input_tokens ?? 0, outputTokens: usage.output_tokens ?? 0 } } : {}),
    });
  }
}
