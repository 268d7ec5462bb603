import type { ModelEntry } from '@voxgate/protocol';
import type { RelayConfig } from './config.js';
import { GlmTranslator } from './providers/glm/translator.js';
import { OpenAiPassthrough } from './providers/openai/passthrough.js';
import type { ProviderAdapter } from './providers/types.js';

/**
 * Builds a fresh provider adapter per session for the models of this replica's catalogue
 * (adapters hold per-session state such as the resampler's filter history).
 */
export function adapterFactory(config: RelayConfig, catalogue: ModelEntry[]): (model: string) => ProviderAdapter | undefined {
  const byId = new Map(catalogue.map((m) => [m.id, m]));
  const proxy = { HTTP_PROXY: config.HTTP_PROXY, HTTPS_PROXY: config.HTTPS_PROXY, NO_PROXY: config.NO_PROXY };
  const connectTimeoutMs = config.RELAY_CONNECT_TIMEOUT_MS;
  return (model) => {
    const entry = byId.get(model);
    if (entry?.provider === 'openai' && config.OPENAI_API_KEY) {
      const url = new URL(config.OPENAI_REALTIME_URL);
      url.searchParams.set('model', model);
      return new OpenAiPassthrough({ url, apiKey: config.OPENAI_API_KEY, proxy, connectTimeoutMs });
    }
    if (entry?.provider === 'zhipu' && config.ZHIPU_API_KEY) {
      return new GlmTranslator(model, { url: new URL(config.ZHIPU_REALTIME_URL), apiKey: config.ZHIPU_API_KEY, proxy, connectTimeoutMs });
    }
    return undefined;
  };
}
