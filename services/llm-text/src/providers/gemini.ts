import { ApiError, FinishReason as GeminiFinish, GoogleGenAI, type Content, type GenerateContentConfig, type Part } from '@google/genai';
import type { GenerationOptions } from '@voxgate/protocol';
import { connectionFailure, failureFromStatus, unexpectedFailure, type UpstreamFailure } from '../upstream-failure.js';
import { textOf, type ChatProvider, type FinishReason, type GenerationOption, type InputPart, type ProviderRequest, type StreamEvent } from './types.js';

/** Audio types Gemini takes inline (its documented list). */
const GEMINI_AUDIO = new Set(['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/mpeg', 'audio/mp3', 'audio/aiff', 'audio/aac', 'audio/ogg', 'audio/flac', 'audio/webm']);

function part(p: InputPart): Part {
  if (p.type === 'text') return { text: p.text };
  return { inlineData: { mimeType: p.mime, data: p.data.toString('base64') } };
}

/** Gemini's reasons for withholding an answer, which OpenAI's dialect calls `content_filter`. */
const WITHHELD = new Set<GeminiFinish>([
  GeminiFinish.SAFETY,
  GeminiFinish.RECITATION,
  GeminiFinish.BLOCKLIST,
  GeminiFinish.PROHIBITED_CONTENT,
  GeminiFinish.SPII,
  GeminiFinish.IMAGE_SAFETY,
]);

function finishReason(reason: GeminiFinish | undefined): FinishReason {
  if (reason === GeminiFinish.STOP) return 'stop';
  if (reason === GeminiFinish.MAX_TOKENS) return 'length';
  if (reason !== undefined && WITHHELD.has(reason)) return 'content_filter';
  return 'other';
}

/**
 * The SDK's `ApiError.message` is the provider's JSON error body: its `error.message` is what the
 * user may read, and a `RetryInfo` detail says how long to wait after a 429.
 */
function fromGeminiError(error: unknown): UpstreamFailure {
  if (error instanceof ApiError) {
    let message: string | undefined;
    let waitMs: number | undefined;
    try {
      const body = JSON.parse(error.message) as { error?: { message?: string; details?: { '@type'?: string; retryDelay?: string }[] } };
      message = body.error?.message;
      const delay = body.error?.details?.find((d) => d['@type']?.endsWith('RetryInfo'))?.retryDelay;
      const seconds = delay === undefined ? Number.NaN : Number.parseFloat(delay);
      if (Number.isFinite(seconds)) waitMs = seconds * 1000;
    } catch {
      // Not JSON: keep only the status.
    }
    return failureFromStatus(error.status, message, waitMs, error);
  }
  if (error instanceof TypeError) return connectionFailure(error);
  return unexpectedFailure(error);
}

/** Google Gemini through `@google/genai`: streamed content with inline images and audio. */
/** `GenerationOptions` in Gemini's `generationConfig` terms. */
function optionConfig(options: GenerationOptions | undefined): GenerateContentConfig {
  if (options === undefined) return {};
  const format = options.responseFormat;
  return {
    ...(options.stop === undefined ? {} : { stopSequences: options.stop }),
    ...(options.topP === undefined ? {} : { topP: options.topP }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.presencePenalty === undefined ? {} : { presencePenalty: options.presencePenalty }),
    ...(options.frequencyPenalty === undefined ? {} : { frequencyPenalty: options.frequencyPenalty }),
    ...(format === undefined ? {} : { responseMimeType: 'application/json' }),
    ...(format?.type === 'json_schema' ? { responseJsonSchema: format.schema } : {}),
  };
}

export class GeminiProvider implements ChatProvider {
  readonly options: ReadonlySet<GenerationOption> = new Set<GenerationOption>(['stop', 'topP', 'seed', 'presencePenalty', 'frequencyPenalty', 'json_object', 'json_schema']);
  readonly #client: GoogleGenAI;

  constructor(options: { apiKey: string; baseUrl: string; requestTimeoutMs: number }) {
    // No `retryOptions`: the SDK then makes exactly one call, and the turn does the retrying.
    this.#client = new GoogleGenAI({ apiKey: options.apiKey, httpOptions: { baseUrl: options.baseUrl, timeout: options.requestTimeoutMs } });
  }

  takesAudioFormat(mime: string): boolean {
    return GEMINI_AUDIO.has(mime);
  }

  async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const system = request.messages.filter((m) => m.role === 'system').map(textOf).join('\n');
    const contents: Content[] = request.messages
      .filter((m) => m.role !== 'system')
      .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: m.parts.map(part) }));
    try {
      const stream = await this.#client.models.generateContentStream({
        model: request.model,
        contents,
        config: {
          abortSignal: signal,
          ...(request.maxOutputTokens === undefined ? {} : { maxOutputTokens: request.maxOutputTokens }),
          ...(system === '' ? {} : { systemInstruction: system }),
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          ...optionConfig(request.options),
        },
      });
      let usage: StreamEvent | undefined;
      for await (const chunk of stream) {
        const candidate = chunk.candidates?.[0];
        // Thought summaries are not part of the answer.
        const text = (candidate?.content?.parts ?? []).flatMap((p) => (p.text && !p.thought ? [p.text] : [])).join('');
        if (text !== '') yield { type: 'text', text };
        if (candidate?.finishReason) yield { type: 'finish', reason: finishReason(candidate.finishReason) };
        const meta = chunk.usageMetadata;
        if (meta) usage = { type: 'usage', usage: { inputTokens: meta.promptTokenCount ?? 0, outputTokens: meta.candidatesTokenCount ?? 0 } };
      }
      // Every chunk carries running totals; the last one counts.
      if (usage) yield usage;
    } catch (error) {
      if (signal.aborted) throw error;
      throw fromGeminiError(error);
    }
  }
}
