import { Type, type Static } from 'typebox';
import { WebrtcLimits } from '@voxgate/protocol';
import { CommonConfig, Port, ProviderEnv, ProxyConfig } from '@voxgate/service-kit';

/** Everything the session service reads from its environment, parsed once at start-up. */
export const SessionConfig = Type.Object({
  ...CommonConfig,
  ...ProxyConfig,
  /** Health and metrics only; the work arrives over NATS. */
  PORT: Port(8766),
  ...ProviderEnv.openai,
  /** The sideband WebSocket of each call is this URL with `?call_id=`. */
  ...ProviderEnv.openaiRealtime,
  ...ProviderEnv.simulator,
  /** The longest lifetime a program gets for an ephemeral client secret; longer requests are cut to it. */
  CLIENT_SECRET_MAX_TTL_S: Type.Integer({
    minimum: WebrtcLimits.clientSecretMinTtlS,
    maximum: WebrtcLimits.clientSecretMaxTtlS,
    default: 600,
  }),
  /** Calls this replica follows at once; beyond it new calls are refused (503) rather than unrecorded. */
  MAX_LIVE_CALLS: Type.Integer({ minimum: 1, maximum: 100_000, default: 1_000 }),
  /**
   * How long a call is kept without a word from its sideband; OpenAI ends a realtime session after
   * 60 minutes, so a call older than this is gone even if nobody hung it up.
   */
  CALL_MAX_AGE_MS: Type.Integer({ minimum: 1_000, maximum: 24 * 3_600_000, default: 65 * 60_000 }),
  /** How long one request to OpenAI (SDP exchange, hang-up, client secret) may take. */
  OPENAI_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
});
export type SessionConfig = Static<typeof SessionConfig>;
