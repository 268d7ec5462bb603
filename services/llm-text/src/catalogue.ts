import type { InputKind, ModelEntry, Provider } from '@voxgate/protocol';
import type { LlmTextConfig } from './config.js';
import type { ModelsFile } from './models-file.js';

type BuiltIn = { id: string; label: string; input: InputKind[] };

/**
 * Text models offered for each built-in provider once its key is configured. Inputs are what the
 * model takes natively; MODELS_FILE adds more without a release.
 */
const BUILT_IN: Record<Exclude<Provider, 'compatible'>, BuiltIn[]> = {
  openai: [
    { id: 'gpt-4o-mini', label: 'GPT-4o mini', input: ['text', 'image'] },
    { id: 'gpt-4o', label: 'GPT-4o', input: ['text', 'image'] },
    { id: 'gpt-4.1-mini', label: 'GPT-4.1 mini', input: ['text', 'image'] },
    { id: 'gpt-4o-audio-preview', label: 'GPT-4o audio', input: ['text', 'audio'] },
  ],
  gemini: [
    { id: 'gemini-2.5-flash', label: 'Gemini 2.5 Flash', input: ['text', 'image', 'audio'] },
    { id: 'gemini-2.5-pro', label: 'Gemini 2.5 Pro', input: ['text', 'image', 'audio'] },
  ],
  zhipu: [
    { id: 'glm-4-flash', label: 'GLM-4 Flash', input: ['text'] },
    { id: 'glm-4-plus', label: 'GLM-4 Plus', input: ['text'] },
    { id: 'glm-4v-flash', label: 'GLM-4V Flash', input: ['text', 'image'] },
  ],
};

const KEY_OF: Record<Exclude<Provider, 'compatible'>, keyof LlmTextConfig> = {
  openai: 'OPENAI_API_KEY',
  gemini: 'GEMINI_API_KEY',
  zhipu: 'ZHIPU_API_KEY',
};

/** The models this llm-text can serve with its configuration; computed once at start-up. */
export function textCatalogue(config: LlmTextConfig, file: ModelsFile): ModelEntry[] {
  const simulated = config.PROVIDER_SIMULATOR;
  const entries: ModelEntry[] = [];
  const seen = new Set<string>();
  const add = (entry: ModelEntry) => {
    if (seen.has(entry.id)) return;
    seen.add(entry.id);
    entries.push(entry);
  };
  for (const provider of Object.keys(BUILT_IN) as (keyof typeof BUILT_IN)[]) {
    if (!config[KEY_OF[provider]]) continue;
    const extras = (file.models ?? []).filter((m) => m.provider === provider);
    for (const model of [...BUILT_IN[provider], ...extras]) {
      add({
        id: model.id,
        label: model.label ?? model.id,
        provider,
        kind: 'text',
        input: model.input ?? ['text'],
        transports: ['http'],
        simulated,
      });
    }
  }
  for (const server of file.servers ?? []) {
    for (const model of server.models) {
      add({
        id: `${server.id}/${model.id}`,
        label: `${model.label ?? model.id} (${server.label ?? server.id})`,
        provider: 'compatible',
        serverId: server.id,
        kind: 'text',
        input: model.input ?? ['text'],
        transports: ['http'],
        // A compatible server is whatever the operator declared, never the simulator.
        simulated: false,
      });
    }
  }
  return entries;
}
