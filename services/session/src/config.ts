import { Type, type Static } from 'typebox';
import { CommonConfig, Port, ProviderEnv, ProxyConfig } from '@voxgate/service-kit';

/** Everything the session service reads from its environment, parsed once at start-up. */
export const SessionConfig = Type.Object({
  ...CommonConfig,
  ...ProxyConfig,
  /** Health and metrics only; the work arrives over NATS. */
  PORT: Port(8766),
  ...ProviderEnv.openai,
  ...ProviderEnv.simulator,
});
export type SessionConfig = Static<typeof SessionConfig>;
