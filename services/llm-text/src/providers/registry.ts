import type { ModelEntry } from '@voxgate/protocol';
import type { LlmTextConfig } from '../config.js';
import type { ModelsFile } from '../models-file.js';
import { CompatibleProvider } from './compatible.js';
import { GeminiProvider } from './gemini.js';
import { OpenAiProvider } from './openai.js';
import type { ChatProvider, Transcriber } from './types.js';
import { ZhipuProvider } from './zhipu.js';

/** Where a catalogue model is served: its provider and the id that provider knows it by. */
export interface ModelRoute {
  entry: ModelEntry;
  provider: ChatProvider;
  upstreamModel: string;
}

export interface Providers {
  routes: Map<string, ModelRoute>;
  /** Speech-to-text for voice messages to models without audio input; OpenAI's, when its key is set. */
  transcriber: Transcriber | undefined;
}

/**
 * One SDK client per provider, built once at start-up from the configuration. `serverKeys` holds
 * each compatible server's key, read from the variable its `apiKeyEnv` names.
 */
export function buildProviders(
  config: LlmTextConfig,
  modelsFile: ModelsFile,
  catalogue: ModelEntry[],
  serverKeys: Record<string, string | undefined>,
): Providers {
  // The SDK's own timeout is a backstop; the turn's watchdogs and deadline come first.
  const requestTimeoutMs = config.UPSTREAM_DEADLINE_MS;
  const openai = config.OPENAI_API_KEY
    ? new OpenAiProvider({
        apiKey: config.OPENAI_API_KEY,
        baseUrl: config.OPENAI_BASE_URL,
        transcriptionModel: config.TRANSCRIPTION_MODEL,
        requestTimeoutMs,
      })
    : undefined;
  const gemini = config.GEMINI_API_KEY
    ? new GeminiProvider({ apiKey: config.GEMINI_API_KEY, baseUrl: config.GEMINI_BASE_URL, requestTimeoutMs })
    : undefined;
  const zhipu = config.ZHIPU_API_KEY
    ? new ZhipuProvider({ apiKey: config.ZHIPU_API_KEY, baseUrl: config.ZHIPU_BASE_URL, requestTimeoutMs })
    : undefined;
  const servers = new Map(
    (modelsFile.servers ?? []).map((s) => [
      s.id,
      new CompatibleProvider({ apiKey: serverKeys[s.id], baseUrl: s.baseUrl, requestTimeoutMs }),
    ]),
  );

  const routes = new Map<string, ModelRoute>();
  for (const entry of catalogue) {
    const provider =
      entry.provider === 'compatible' ? servers.get(entry.serverId ?? '') : { openai, gemini, zhipu }[entry.provider];
    if (provider === undefined) continue;
    const upstreamModel = entry.provider === 'compatible' ? entry.id.slice((entry.serverId ?? '').length + 1) : entry.id;
    routes.set(entry.id, { entry, provider, upstreamModel });
  }
  return { routes, transcriber: openai };
}

/** Each compatible server's key, read once from the variable MODELS_FILE names for it. */
export function compatibleServerKeys(modelsFile: ModelsFile, env: Record<string, string | undefined>): Record<string, string | undefined> {
  const keys: Record<string, string | undefined> = {};
  for (const server of modelsFile.servers ?? []) {
    const value = server.apiKeyEnv === undefined ? undefined : env[server.apiKeyEnv]?.trim();
    keys[server.id] = value === '' ? undefined : value;
  }
  return keys;
}
