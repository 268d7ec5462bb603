import { Type, type Static } from 'typebox';
import { CommonConfig, Port, ProviderEnv, ProxyConfig } from '@voxgate/service-kit';

const Ms = (defaultMs: number, maximumMs: number) => Type.Integer({ minimum: 1, maximum: maximumMs, default: defaultMs });

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
  /** How long one upstream attempt may take to produce its first token before it is retried. */
  UPSTREAM_ATTEMPT_TIMEOUT_MS: Ms(30_000, 600_000),
  /** How long a started answer may pause between tokens before the turn fails. */
  UPSTREAM_IDLE_TIMEOUT_MS: Ms(60_000, 600_000),
  /** The whole turn, retries and streaming included. */
  UPSTREAM_DEADLINE_MS: Ms(300_000, 3_600_000),
  /** Retries after the first attempt, only before the first token. */
  UPSTREAM_MAX_RETRIES: Type.Integer({ minimum: 0, maximum: 10, default: 2 }),
  /** First backoff; doubled per retry, with jitter, unless the provider says `Retry-After`. */
  UPSTREAM_RETRY_BASE_MS: Ms(500, 60_000),
  /** Model that turns a voice message into text for models that do not take audio (OpenAI key needed). */
  TRANSCRIPTION_MODEL: Type.String({ minLength: 1, maxLength: 200, default: 'gpt-4o-mini-transcribe' }),
  /** Answer length when the caller does not ask for one. */
  MAX_OUTPUT_TOKENS: Type.Integer({ minimum: 1, maximum: 200_000, default: 4096 }),
});
export type LlmTextConfig = Static<typeof LlmTextConfig>;
