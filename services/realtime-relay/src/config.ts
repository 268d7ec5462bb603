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
  /** Longest a session may last; the client gets a `session_expired` error event, then a 1001 close. */
  RELAY_MAX_SESSION_MS: Type.Integer({ minimum: 1_000, maximum: 24 * 3_600_000, default: 30 * 60_000 }),
  /**
   * A session with no event from the client and none toward it for this long is closed (1000,
   * `idle_timeout` event). Provider keep-alives the relay absorbs (GLM heartbeats) do not count.
   */
  RELAY_IDLE_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 24 * 3_600_000, default: 5 * 60_000 }),
  /** How long the provider may take to accept the WebSocket (proxy tunnel and TLS included). */
  RELAY_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  /**
   * Bytes queued toward a client before it counts as too slow and is closed with 1013. The default
   * is about 2 s of 24 kHz PCM16 audio in base64 (64 000 B/s) plus the JSON around it.
   */
  RELAY_CLIENT_BUFFER_MAX_BYTES: Type.Integer({ minimum: 16_384, maximum: 64 * 1024 * 1024, default: 160_000 }),
  ...ProviderEnv.openai,
  ...ProviderEnv.openaiRealtime,
  ...ProviderEnv.zhipu,
  ...ProviderEnv.zhipuRealtime,
  ...ProviderEnv.simulator,
});
export type RelayConfig = Static<typeof RelayConfig>;
