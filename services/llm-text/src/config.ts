import { Type, type Static } from 'typebox';
import { CommonConfig, Port, ProviderEnv, ProxyConfig } from '@voxgate/service-kit';

/** Everything llm-text reads from its environment, parsed once at start-up. */
export const LlmTextConfig = Type.Object({
  ...CommonConfig,
  ...ProxyConfig,
  /** Health and metrics only; the work arrives over NATS. */
  PORT: Port(8767),
  ...ProviderEnv.openai,
  ...ProviderEnv.gemini,
  ...ProviderEnv.zhipu,
  ...ProviderEnv.simulator,
  /** A JSON file listing extra models and OpenAI-compatible servers (see models-file.ts). */
  MODELS_FILE: Type.Optional(Type.String({ minLength: 1 })),
});
export type LlmTextConfig = Static<typeof LlmTextConfig>;
