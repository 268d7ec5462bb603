import type { ModelEntry } from '@voxgate/protocol';
import type { SessionConfig } from './config.js';

/** OpenAI's GA realtime models; WebRTC is the transport OpenAI recommends for browsers. */
const OPENAI_REALTIME = [
  { id: 'gpt-realtime', label: 'GPT Realtime' },
  { id: 'gpt-realtime-mini', label: 'GPT Realtime mini' },
];

/** The realtime models this service can set up WebRTC calls for: OpenAI's, once its key is set. */
export function webrtcCatalogue(config: SessionConfig): ModelEntry[] {
  if (!config.OPENAI_API_KEY) return [];
  return OPENAI_REALTIME.map((m) => ({
    ...m,
    provider: 'openai',
    kind: 'realtime',
    input: ['text', 'audio'],
    transports: ['webrtc'],
    simulated: config.PROVIDER_SIMULATOR,
  }));
}
