import type { ModelEntry, Provider } from '@voxgate/protocol';
import type { RelayConfig } from './config.js';

type RealtimeModel = { id: string; label: string; provider: Provider };

/** Realtime models a relay speaks to, by provider; each needs that provider's key. */
const REALTIME: RealtimeModel[] = [
  { id: 'gpt-realtime', label: 'GPT Realtime', provider: 'openai' },
  { id: 'gpt-realtime-mini', label: 'GPT Realtime mini', provider: 'openai' },
  { id: 'glm-realtime-flash', label: 'GLM-Realtime Flash', provider: 'zhipu' },
  { id: 'glm-realtime-air', label: 'GLM-Realtime Air', provider: 'zhipu' },
];

const KEY_OF: Partial<Record<Provider, keyof RelayConfig>> = { openai: 'OPENAI_API_KEY', zhipu: 'ZHIPU_API_KEY' };

/** The realtime models this replica can relay with its configuration. */
export function relayCatalogue(config: RelayConfig): ModelEntry[] {
  return REALTIME.filter((m) => {
    const key = KEY_OF[m.provider];
    return key !== undefined && Boolean(config[key]);
  }).map((m) => ({
    ...m,
    kind: 'realtime',
    input: ['text', 'audio'],
    transports: ['websocket'],
    simulated: config.PROVIDER_SIMULATOR,
  }));
}
