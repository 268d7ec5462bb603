import { Type, type Static } from 'typebox';
import { CommonConfig, Port, ProviderEnv, ProxyConfig } from '@voxgate/service-kit';

/** Everything a relay replica reads from its environment, parsed once at start-up. */
export const RelayConfig = Type.Object({
  ...CommonConfig,
  ...ProxyConfig,
  /** The WebSocket port the gateway pipes realtime connections to (the original system's 8765). */
  PORT: Port(8765),
  /**
   * The host the gateway should dial for this replica. Unset: the listen address, or with a
   * wildcard listen address this machine's first external IPv4 (a container's own address).
   */
  RELAY_ADVERTISE_HOST: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  /** Sessions this replica takes before it refuses new ones and the gateway tries another. */
  RELAY_MAX_SESSIONS: Type.Integer({ minimum: 1, maximum: 100_000, default: 500 }),
  ...ProviderEnv.openai,
  ...ProviderEnv.openaiRealtime,
  ...ProviderEnv.zhipu,
  ...ProviderEnv.zhipuRealtime,
  ...ProviderEnv.simulator,
});
export type RelayConfig = Static<typeof RelayConfig>;
