import { fileURLToPath } from 'node:url';
import { Type, type Static } from 'typebox';
import { CommonConfig, Port, ProxyConfig } from '@voxgate/service-kit';

/** Where `npm run build -w web` puts the page, seen from this file's built location. */
const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** Everything the gateway reads from its environment, parsed once at start-up. */
export const GatewayConfig = Type.Object({
  ...CommonConfig,
  ...ProxyConfig,
  PORT: Port(1024),
  /** The built web page; served at `/`. */
  WEB_ROOT: Type.String({ minLength: 1, default: DEFAULT_WEB_ROOT }),
  /** HTTPS/WSS when both are set (the openai SDK's realtime client always dials `wss:`). */
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** Comma-separated origins allowed to open browser WebSockets and call `/api` cross-site. */
  ALLOWED_ORIGINS: Type.Optional(Type.String({ pattern: '^https?://[^,\\s]+(,\\s*https?://[^,\\s]+)*$' })),
  /** Comma-separated keys programs send as `Authorization: Bearer` on `/v1`. */
  API_KEYS: Type.Optional(Type.String({ minLength: 8 })),
  /** How often the gateway pings the services behind it; one missing for 3 intervals counts as down. */
  SERVICE_PING_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 1_000 }),
  /** How long the gateway waits for a service to answer over NATS. */
  NATS_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 120_000, default: 2_000 }),
});
export type GatewayConfig = Static<typeof GatewayConfig>;
