import { mentionedTool, toolArguments, toolResultAnswerText, voiceAnswerText } from '../../realtime/answer.js';
import { encodeG711 } from '../../realtime/g711.js';
import type { RealtimePace } from '../../realtime/pace.js';
import { speak } from '../../realtime/speech.js';
import { countTokens } from '../../tokens.js';
import type { Item } from './conversation.js';
import type { AudioFormat, FunctionTool } from './session-config.js';
import type { AudioOutput } from './transport.js';

/** Audio per `response.output_audio.delta`. */
const CHUNK_MS = 40;
/** Output audio tokens per second, roughly what OpenAI bills. */
const OUTPUT_AUDIO_TOKENS_PER_S = 20;

export type CancelReason = 'client_cancelled' | 'turn_detected';

/** Everything one response needs from its session. */
export interface ResponseSetup {
  id: string;
  model: string;
  conversationId: string;
  modalities: ('audio' | 'text')[];
  format: AudioFormat;
  voice: string;
  tools: readonly FunctionTool[];
  toolChoice: unknown;
  maxOutputTokens: number | 'inf';
  prompt: { userText?: string; toolOutput?: string };
  inputTokens: { text: number; audio: number };
  pace: RealtimePace;
  send(event: Record<string, unknown>): void;
  /** WebRTC: audio goes to the call's track (PCM16 24 kHz) instead of `response.output_audio.delta` events. */
  audioOutput?: AudioOutput;
  nextId(prefix: string): string;
  /** Adds an output item to the conversation (unless the response is out of band); returns previous_item_id. */
  store(item: Item, audioMs: number): string | null;
}

/**
 * One model response, streamed as GA events: `response.created`, the output item and its content
 * part, audio and transcript deltas interleaved (or a function call), the `.done` events and
 * `response.done` with usage. `cancel()` ends it early with status `cancelled`.
 */
export class OpenAiResponse {
  readonly #abort = new AbortController();
  #reason: CancelReason | undefined;
  #itemId: string | undefined;
  readonly finished: Promise<void>;

  constructor(private readonly setup: ResponseSetup) {
    this.finished = this.#run();
  }

  get id(): string {
    return this.setup.id;
  }

  /** The output item being produced, once there is one. */
  get itemId(): string | undefined {
    return this.#itemId;
  }

  cancel(reason: CancelReason): void {
    this.#reason ??= reason;
    this.#abort.abort();
  }

  #object(status: string, output: Item[], usage: unknown, statusDetails: unknown = null) {
    const s = this.setup;
    return {
      object: 'realtime.response',
      id: s.id,
      status,
      status_details: statusDetails,
      output,
      conversation_id: s.conversationId,
      output_modalities: s.modalities,
      max_output_tokens: s.maxOutputTokens,
      audio: { output: { format: s.format, voice: s.voice } },
      usage,
      metadata: null,
    };
  }

  async #run(): Promise<void> {
    const s = this.setup;
    s.send({ type: 'response.created', response: this.#object('in_progress', [], null) });
    const tool = s.prompt.toolOutput === undefined && s.toolChoice !== 'none' ? mentionedTool(s.tools, s.prompt.userText) : undefined;
    const result = tool === undefined ? await this.#message() : this.#functionCall(tool);
    const usage = this.#usage(result.textTokens, result.audioMs);
    const cancelled = this.#reason !== undefined;
    s.send({
      type: 'response.done',
      response: this.#object(cancelled ? 'cancelled' : 'completed', [result.item], usage, cancelled ? { type: 'cancelled', reason: this.#reason } : null),
    });
  }

  #functionCall(tool: FunctionTool): { item: Item; textTokens: number; audioMs: number } {
    const s = this.setup;
    const args = toolArguments(tool.parameters);
    const item: Item = { id: s.nextId('item_'), object: 'realtime.item', type: 'function_call', status: 'in_progress', name: tool.name, call_id: s.nextId('call_'), arguments: '' };
    const at = { response_id: s.id, item_id: item.id, output_index: 0 };
    s.send({ type: 'response.output_item.added', response_id: s.id, output_index: 0, item });
    const previous = s.store(item, 0);
    s.send({ type: 'conversation.item.added', previous_item_id: previous, item });
    // Two halves: clients must join deltas, not take the first as the whole.
    const half = Math.ceil(args.length / 2);
    for (const delta of [args.slice(0, half), args.slice(half)]) if (delta !== '') s.send({ type: 'response.function_call_arguments.delta', ...at, call_id: item.call_id, delta });
    Object.assign(item, { status: 'completed', arguments: args });
    s.send({ type: 'response.function_call_arguments.done', ...at, call_id: item.call_id, name: tool.name, arguments: args });
    s.send({ type: 'response.output_item.done', response_id: s.id, output_index: 0, item });
    s.send({ type: 'conversation.item.done', previous_item_id: previous, item });
    return { item, textTokens: countTokens(args), audioMs: 0 };
  }

  async #message(): Promise<{ item: Item; textTokens: number; audioMs: number }> {
    const s = this.setup;
    const audio = s.modalities.includes('audio');
    const text = s.prompt.toolOutput === undefined ? voiceAnswerText(s.model, s.prompt.userText) : toolResultAnswerText(s.model, s.prompt.toolOutput);
    const item: Item = { id: s.nextId('item_'), object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    this.#itemId = item.id;
    const at = { response_id: s.id, item_id: item.id, output_index: 0, content_index: 0 };
    s.send({ type: 'response.output_item.added', response_id: s.id, output_index: 0, item });
    const previous = s.store(item, 0);
    s.send({ type: 'conversation.item.added', previous_item_id: previous, item });
    s.send({ type: 'response.content_part.added', ...at, part: audio ? { type: 'audio', transcript: '' } : { type: 'text', text: '' } });

    const track = s.audioOutput;
    // The track is Opus whatever the session's format; its audio is made at 24 kHz like audio/pcm.
    const rateHz = track !== undefined || s.format.type === 'audio/pcm' ? 24_000 : 8_000;
    let spoken = '';
    let audioMs = 0;
    for await (const chunk of speak(text, { rateHz, chunkMs: CHUNK_MS, pace: s.pace, signal: this.#abort.signal })) {
      if (audio && track !== undefined) track.play(s.id, chunk.pcm);
      else if (audio) {
        const bytes = s.format.type === 'audio/pcm' ? chunk.pcm : encodeG711(chunk.pcm, s.format.type === 'audio/pcmu' ? 'pcmu' : 'pcma');
        s.send({ type: 'response.output_audio.delta', ...at, delta: bytes.toString('base64') });
      }
      if (chunk.text !== '') s.send({ type: audio ? 'response.output_audio_transcript.delta' : 'response.output_text.delta', ...at, delta: chunk.text });
      spoken += chunk.text;
      audioMs = chunk.endMs;
    }
    const cancelled = this.#reason !== undefined;
    if (audio) track?.finish(s.id);
    if (audio) {
      s.send({ type: 'response.output_audio.done', ...at });
      s.send({ type: 'response.output_audio_transcript.done', ...at, transcript: spoken });
    } else s.send({ type: 'response.output_text.done', ...at, text: spoken });
    const content = audio ? { type: 'output_audio', transcript: spoken } : { type: 'output_text', text: spoken };
    s.send({ type: 'response.content_part.done', ...at, part: audio ? { type: 'audio', transcript: spoken } : { type: 'text', text: spoken } });
    Object.assign(item, { status: cancelled ? 'incomplete' : 'completed', content: [content] });
    s.store(item, audio ? audioMs : 0);
    s.send({ type: 'response.output_item.done', response_id: s.id, output_index: 0, item });
    s.send({ type: 'conversation.item.done', previous_item_id: previous, item });
    return { item, textTokens: countTokens(spoken), audioMs: audio ? audioMs : 0 };
  }

  #usage(textTokens: number, audioMs: number) {
    const input = this.setup.inputTokens;
    const audioTokens = Math.ceil((audioMs / 1000) * OUTPUT_AUDIO_TOKENS_PER_S);
    const inputTokens = input.text + input.audio;
    const outputTokens = textTokens + audioTokens;
    return {
      total_tokens: inputTokens + outputTokens,
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      input_token_details: {
        text_tokens: input.text,
        audio_tokens: input.audio,
        image_tokens: 0,
        cached_tokens: 0,
        cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 },
      },
      output_token_details: { text_tokens: textTokens, audio_tokens: audioTokens },
    };
  }
}
