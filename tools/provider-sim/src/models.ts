import type { ProviderId } from './provider.js';

/**
 * The model ids each simulated provider lists. Chat routes answer any model id, as a
 * self-hosted OpenAI-compatible server would; these are what model pickers are offered.
 */
export const SIMULATED_MODELS: Readonly<Record<ProviderId, readonly string[]>> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4o-audio-preview', 'gpt-4o-mini-transcribe', 'whisper-1'],
  gemini: ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.0-flash'],
  zhipu: ['glm-4-flash', 'glm-4-plus', 'glm-4v-flash', 'glm-4v-plus', 'glm-4.6'],
};
