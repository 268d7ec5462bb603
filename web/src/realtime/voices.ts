import type { ModelEntry } from '@voxgate/protocol';

/**
 * Voices each provider's realtime models take, as GA `audio.output.voice` (the relay hands it to
 * GLM as its `voice`). The first is the default: OpenAI recommends marin and cedar; GLM's own
 * default is tongtong. Providers not listed keep their default and the page offers no choice.
 */
const VOICES: Partial<Record<ModelEntry['provider'], readonly string[]>> = {
  openai: ['marin', 'cedar', 'alloy', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse'],
  zhipu: ['tongtong', 'female-tianmei', 'female-shaonv', 'male-qn-daxuesheng', 'male-qn-jingying', 'lovely_girl'],
};

export function voicesFor(model: ModelEntry): readonly string[] {
  return VOICES[model.provider] ?? [];
}

/** The remembered voice if this model takes it, else the provider's first. */
export function initialVoice(model: ModelEntry, remembered: string | undefined): string | undefined {
  const voices = voicesFor(model);
  return remembered !== undefined && voices.includes(remembered) ? remembered : voices[0];
}
