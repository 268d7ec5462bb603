import { mentionedTool, toolArguments, toolResultAnswerText, voiceAnswerText } from '../../realtime/answer.js';
import type { RealtimePace } from '../../realtime/pace.js';
import { speak } from '../../realtime/speech.js';
import { countTokens } from '../../tokens.js';
import type { LiveTool } from './setup.js';

/** Gemini speaks PCM16 mono at 24 kHz [V: protocols.md §4.4]. */
export const GEMINI_OUTPUT_RATE_HZ = 24_000;
const OUTPUT_MIME = `audio/pcm;rate=${GEMINI_OUTPUT_RATE_HZ}`;
const CHUNK_MS = 40;
/** Audio tokens per second of speech in the usage figures (Gemini counts about 25–32 [S]; any constant will do). */
const AUDIO_TOKENS_PER_SECOND = 25;

export interface AnswerSetup {
  model: string;
  tools: readonly LiveTool[];
  /** What is answered: the user's words (typed, or the transcript of their speech), or tool results. */
  prompt: { userText?: string; toolOutputs?: readonly string[] };
  inputTokens: { text: number; audio: number };
  outputTranscription: boolean;
  pace: RealtimePace;
  nextId(prefix: string): string;
  send(message: object): void;
}

/** How an answer part ended: spoken to its end, cut off, or waiting for the results of its calls. */
export type AnswerOutcome = { kind: 'done' } | { kind: 'interrupted' } | { kind: 'tool_call'; calls: Map<string, string> };

/**
 * One part of a Gemini Live model turn, in the shapes of `LiveServerMessage`: speech as
 * `serverContent.modelTurn.parts[].inlineData` (PCM16 24 kHz) with `outputTranscription` pieces in
 * the same messages, then `generationComplete` and `turnComplete` with `usageMetadata`; or, when
 * the user's text names a declared tool, a `toolCall`, after which the turn waits for the
 * `toolResponse` (no `turnComplete` in between [S]) and goes on with the next part.
 */
export class GeminiAnswer {
  readonly #abort = new AbortController();
  #interrupted = false;
  readonly finished: Promise<AnswerOutcome>;

  constructor(private readonly setup: AnswerSetup) {
    this.finished = this.#run();
  }

  /** The user cut in: the speech stops after the chunk in flight; the session sends `interrupted`. */
  interrupt(): void {
    this.#interrupted = true;
    this.#abort.abort();
  }

  async #run(): Promise<AnswerOutcome> {
    const s = this.setup;
    // A turn after the next macrotask: an answer just cut off sends its interrupted and turnComplete first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const tool = s.prompt.toolOutputs === undefined ? mentionedTool(s.tools, s.prompt.userText) : undefined;
    if (tool !== undefined) {
      const id = s.nextId('function-call-');
      s.send({ toolCall: { functionCalls: [{ id, name: tool.name, args: JSON.parse(toolArguments(tool.parameters)) as unknown }] } });
      return { kind: 'tool_call', calls: new Map([[id, tool.name]]) };
    }
    const text = s.prompt.toolOutputs === undefined ? voiceAnswerText(s.model, s.prompt.userText) : toolResultAnswerText(s.model, s.prompt.toolOutputs.join('; '));
    let spoken = '';
    let audioMs = 0;
    for await (const chunk of speak(text, { rateHz: GEMINI_OUTPUT_RATE_HZ, chunkMs: CHUNK_MS, pace: s.pace, signal: this.#abort.signal })) {
      const content: Record<string, unknown> = { modelTurn: { parts: [{ inlineData: { mimeType: OUTPUT_MIME, data: chunk.pcm.toString('base64') } }] } };
      if (s.outputTranscription && chunk.text !== '') content.outputTranscription = { text: chunk.text };
      s.send({ serverContent: content });
      spoken += chunk.text;
      audioMs = chunk.endMs;
    }
    // An interrupted turn has no generationComplete; it goes interrupted → turnComplete [SDK docs].
    if (!this.#interrupted) s.send({ serverContent: { generationComplete: true } });
    else s.send({ serverContent: { interrupted: true } });
    s.send({ serverContent: { turnComplete: true }, usageMetadata: this.#usage(countTokens(spoken), Math.ceil((audioMs / 1000) * AUDIO_TOKENS_PER_SECOND)) });
    return this.#interrupted ? { kind: 'interrupted' } : { kind: 'done' };
  }

  #usage(textTokens: number, audioTokens: number) {
    const { text, audio } = this.setup.inputTokens;
    const prompt = text + audio;
    const response = textTokens + audioTokens;
    return {
      promptTokenCount: prompt,
      responseTokenCount: response,
      totalTokenCount: prompt + response,
      promptTokensDetails: [
        { modality: 'TEXT', tokenCount: text },
        { modality: 'AUDIO', tokenCount: audio },
      ],
      responseTokensDetails: [
        { modality: 'TEXT', tokenCount: textTokens },
        { modality: 'AUDIO', tokenCount: audioTokens },
      ],
    };
  }
}
