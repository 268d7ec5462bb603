import { mentionedTool, toolArguments, toolResultAnswerText, voiceAnswerText } from '../../realtime/answer.js';
import type { RealtimePace } from '../../realtime/pace.js';
import { speak } from '../../realtime/speech.js';
import { countTokens } from '../../tokens.js';
import { GLM_OUTPUT_RATE_HZ, type GlmTool } from './config.js';

const CHUNK_MS = 40;

export interface GlmResponseSetup {
  id: string;
  model: string;
  tools: readonly GlmTool[];
  prompt: { userText?: string; toolOutput?: string };
  inputTokens: { text: number; audio: number };
  clientTimestamp: number | undefined;
  pace: RealtimePace;
  send(event: Record<string, unknown>): void;
}

/**
 * One GLM-Realtime answer in its beta-style names and documented shapes (protocols.md §3.3):
 * `response.created`, interleaved `response.audio_transcript.delta{delta}` /
 * `response.audio.delta{response_id, output_index, content_index, delta}`,
 * `response.audio_transcript.done{transcript}`, a bare `response.audio.done` and
 * `response.done{response:{id, status, usage}}`; or a
 * `response.function_call_arguments.done{response_id, output_index, name, arguments}` (no call id,
 * no item). No event names an item, as with GLM.
 */
export class GlmResponse {
  readonly #abort = new AbortController();
  #reason: string | undefined;
  readonly finished: Promise<void>;

  constructor(private readonly setup: GlmResponseSetup) {
    this.finished = this.#run();
  }

  cancel(reason: 'client_cancelled' | 'turn_detected'): void {
    this.#reason ??= reason;
    this.#abort.abort();
  }

  async #run(): Promise<void> {
    const s = this.setup;
    const stamp = s.clientTimestamp === undefined ? {} : { client_timestamp: s.clientTimestamp };
    s.send({ type: 'response.created', response: { id: s.id, object: 'realtime.response', status: 'in_progress' } });
    const tool = s.prompt.toolOutput === undefined ? mentionedTool(s.tools, s.prompt.userText) : undefined;
    let textTokens = 0;
    let audioMs = 0;
    if (tool !== undefined) {
      const args = toolArguments(tool.parameters);
      textTokens = countTokens(args);
      s.send({ type: 'response.function_call_arguments.done', ...stamp, response_id: s.id, output_index: 0, name: tool.name, arguments: args });
    } else {
      const text = s.prompt.toolOutput === undefined ? voiceAnswerText(s.model, s.prompt.userText) : toolResultAnswerText(s.model, s.prompt.toolOutput);
      const at = { response_id: s.id, output_index: 0, content_index: 0 };
      let spoken = '';
      for await (const chunk of speak(text, { rateHz: GLM_OUTPUT_RATE_HZ, chunkMs: CHUNK_MS, pace: s.pace, signal: this.#abort.signal })) {
        if (chunk.text !== '') s.send({ type: 'response.audio_transcript.delta', ...stamp, delta: chunk.text });
        s.send({ type: 'response.audio.delta', ...stamp, ...at, delta: chunk.pcm.toString('base64') });
        spoken += chunk.text;
        audioMs = chunk.endMs;
      }
      textTokens = countTokens(spoken);
      s.send({ type: 'response.audio_transcript.done', transcript: spoken });
      s.send({ type: 'response.audio.done' });
    }
    const audioTokens = Math.ceil(audioMs / 50);
    const input = s.inputTokens.text + s.inputTokens.audio;
    const usage = {
      total_tokens: input + textTokens + audioTokens,
      input_tokens: input,
      output_tokens: textTokens + audioTokens,
      input_token_details: { text_tokens: s.inputTokens.text, audio_tokens: s.inputTokens.audio },
      output_token_details: { text_tokens: textTokens, audio_tokens: audioTokens },
    };
    const cancelled = this.#reason !== undefined;
    s.send({ type: 'response.done', response: { id: s.id, status: cancelled ? 'cancelled' : 'completed', usage } });
  }
}
