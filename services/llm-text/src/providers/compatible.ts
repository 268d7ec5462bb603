import OpenAI from 'openai';
import { leanFetch } from './lean-fetch.js';
import { ALL_OPTIONS, dataUrl, inputAudioFormat, streamChatCompletion, type ChatDialect } from './openai-chat.js';
import type { ChatProvider, ProviderRequest, StreamEvent } from './types.js';

const DIALECT: ChatDialect = {
  imageUrl: (_model, mime, data) => dataUrl(mime, data),
  // The field every compatible server (Ollama, vLLM, LM Studio, DeepSeek) understands.
  tokenLimitField: 'max_tokens',
  askForUsage: true,
};

/**
 * A local server often needs no key, but the SDK insists on one; this placeholder is sent instead,
 * and such servers ignore it.
 */
const NO_KEY = 'not-needed';

/** An OpenAI-compatible server declared in MODELS_FILE. */
export class CompatibleProvider implements ChatProvider {
  // Passed on as they are: the server refuses what it does not take (a 400 the caller sees).
  readonly options = ALL_OPTIONS;
  readonly #client: OpenAI;

  constructor(options: { apiKey: string | undefined; baseUrl: string; requestTimeoutMs: number }) {
    this.#client = new OpenAI({
      apiKey: options.apiKey ?? NO_KEY,
      baseURL: options.baseUrl,
      maxRetries: 0,
      timeout: options.requestTimeoutMs,
      fetch: leanFetch,
    });
  }

  stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    return streamChatCompletion(this.#client, DIALECT, request, signal);
  }

  takesAudioFormat(mime: string): boolean {
    return inputAudioFormat(mime) !== undefined;
  }
}
