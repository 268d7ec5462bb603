import OpenAI, { toFile } from 'openai';
import { fromOpenAiError } from './openai-errors.js';
import { leanFetch } from './lean-fetch.js';
import { ALL_OPTIONS, dataUrl, inputAudioFormat, streamChatCompletion, type ChatDialect } from './openai-chat.js';
import type { ChatProvider, ProviderRequest, StreamEvent, Transcriber } from './types.js';

const DIALECT: ChatDialect = {
  imageUrl: (_model, mime, data) => dataUrl(mime, data),
  tokenLimitField: 'max_completion_tokens',
  askForUsage: true,
};

/** File extensions the transcription endpoint recognises a format by. */
const EXTENSIONS: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/webm': 'webm',
  'audio/ogg': 'ogg',
  'audio/mp4': 'm4a',
  'audio/x-m4a': 'm4a',
  'audio/flac': 'flac',
};

export interface OpenAiProviderOptions {
  apiKey: string;
  baseUrl: string;
  transcriptionModel: string;
  /** Upper bound the SDK applies to a request; our own watchdogs are shorter. */
  requestTimeoutMs: number;
}

/** OpenAI: chat completions with images and audio, and speech-to-text for models that take no audio. */
export class OpenAiProvider implements ChatProvider, Transcriber {
  readonly options = ALL_OPTIONS;
  readonly #client: OpenAI;
  readonly #transcriptionModel: string;

  constructor(options: OpenAiProviderOptions) {
    // Retries are the turn's: it must not retry once a token has been shown.
    this.#client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseUrl, maxRetries: 0, timeout: options.requestTimeoutMs, fetch: leanFetch });
    this.#transcriptionModel = options.transcriptionModel;
  }

  stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    return streamChatCompletion(this.#client, DIALECT, request, signal);
  }

  takesAudioFormat(mime: string): boolean {
    return inputAudioFormat(mime) !== undefined;
  }

  async transcribe(audio: { mime: string; data: Buffer }, signal: AbortSignal): Promise<string> {
    const extension = EXTENSIONS[audio.mime] ?? 'wav';
    try {
      const file = await toFile(audio.data, `voice-message.${extension}`, { type: audio.mime });
      const result = await this.#client.audio.transcriptions.create({ file, model: this.#transcriptionModel }, { signal });
      return result.text;
    } catch (error) {
      if (signal.aborted) throw error;
      throw fromOpenAiError(error);
    }
  }
}
