import OpenAI from 'openai';
import { leanFetch } from './lean-fetch.js';
import { dataUrl, streamChatCompletion, type ChatDialect } from './openai-chat.js';
import type { ChatProvider, GenerationOption, ProviderRequest, StreamEvent } from './types.js';

/** GLM-4V refuses a `data:` URL in `image_url.url` (400, code 1210) and wants the bare base64. */
const BARE_BASE64_MODELS = /^glm-4v/;

const DIALECT: ChatDialect = {
  imageUrl: (model, mime, data) => (BARE_BASE64_MODELS.test(model) ? data.toString('base64') : dataUrl(mime, data)),
  tokenLimitField: 'max_tokens',
  // Zhipu puts usage on the finishing chunk by itself.
  askForUsage: false,
};

/** Zhipu GLM through its OpenAI-compatible API. */
export class ZhipuProvider implements ChatProvider {
  /** Zhipu's chat API takes `stop`, `top_p` and a JSON-object `response_format`; no seed, penalties or schemas. */
  readonly options: ReadonlySet<GenerationOption> = new Set<GenerationOption>(['stop', 'topP', 'json_object']);
  readonly #client: OpenAI;

  constructor(options: { apiKey: string; baseUrl: string; requestTimeoutMs: number }) {
    this.#client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseUrl, maxRetries: 0, timeout: options.requestTimeoutMs, fetch: leanFetch });
  }

  stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    return streamChatCompletion(this.#client, DIALECT, request, signal);
  }

  takesAudioFormat(): boolean {
    return false;
  }
}
