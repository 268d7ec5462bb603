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
  ALLOWED_ORIGINS: Type.Optional(
    Type.String({ pattern: '^https?://[^,\\s]+(,\\s*https?://[^,\\s]+)*$', description: 'comma-separated http(s) origins, e.g. https://chat.example.com' }),
  ),
  /** Comma-separated keys programs send as `Authorization: Bearer` on `/v1`. */
  API_KEYS: Type.Optional(Type.String({ minLength: 8 })),
  /** How often the gateway pings the services behind it; one missing for 3 intervals counts as down. */
  SERVICE_PING_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 1_000 }),
  /** How long the gateway waits for a service to answer over NATS. */
  NATS_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 120_000, default: 2_000 }),

  /** When set, the page and `/api` need a login with this password (a session cookie). */
  ACCESS_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
  /** How long a login lasts. */
  ACCESS_SESSION_HOURS: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 24 * 7 }),
  /**
   * Comma-separated addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` names the
   * client; unset: the socket's address is the client (a forwarded header is never trusted).
   */
  TRUST_PROXY: Type.Optional(
    Type.String({ pattern: '^[0-9A-Fa-f:.]+(/\\d{1,3})?(\\s*,\\s*[0-9A-Fa-f:.]+(/\\d{1,3})?)*$', description: 'comma-separated IP addresses or CIDR ranges' }),
  ),
  /** Per client (API key when one is sent, else address); 0 turns a limit off. */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 600 }),
  MAX_REALTIME_SESSIONS_PER_CLIENT: Type.Integer({ minimum: 0, maximum: 100_000, default: 4 }),
  CLIENT_DAILY_TOKENS: Type.Integer({ minimum: 0, maximum: 1e12, default: 10_000_000 }),
  CLIENT_DAILY_REALTIME_MINUTES: Type.Integer({ minimum: 0, maximum: 1_440_000, default: 240 }),
  /** Spending caps of the whole deployment per UTC day, shared by every gateway replica; 0 is off. */
  DAILY_TOKEN_BUDGET: Type.Integer({ minimum: 0, maximum: 1e13, default: 0 }),
  DAILY_REALTIME_MINUTES: Type.Integer({ minimum: 0, maximum: 1e9, default: 0 }),

  /** Megabytes (10^6 bytes) the attachment store may hold, uploads and `/v1` inline files together; 0: no cap. */
  ATTACHMENTS_MAX_MB: Type.Integer({ minimum: 0, maximum: 1e9, default: 10_000 }),
  /**
   * How long an attachment no stored message refers to is kept: an upload waiting to be sent, one
   * whose turn was refused. Longer than a user takes to send a message plus the longest turn.
   */
  ATTACHMENT_GRACE_S: Type.Integer({ minimum: 1, maximum: 30 * 24 * 3600, default: 24 * 3600 }),
});
export type GatewayConfig = Static<typeof GatewayConfig>;
