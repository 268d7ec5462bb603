import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { createContext } from './context.js';
import { controlApi } from './control.js';
import { GEMINI_LIVE_VERSIONS, geminiLivePath, geminiLiveRoute } from './gemini/live/server.js';
import { geminiApi } from './gemini/plugin.js';
import { openaiApi } from './openai/plugin.js';
import { openaiRealtimeRoute } from './openai/realtime/server.js';
import type { RealtimePace } from './realtime/pace.js';
import { type RealtimeRoute, serveRealtime } from './realtime/upgrade.js';
import { zhipuApi } from './zhipu/plugin.js';
import { zhipuRealtimeRoute } from './zhipu/realtime/server.js';

export type { Fault, FaultKind, FaultRequest } from './faults.js';
export type { PartSummary } from './content.js';
export type { ProviderId } from './provider.js';
export type { RealtimePace } from './realtime/pace.js';
export { REALTIME_PACES } from './realtime/pace.js';
export type { RealtimeSessionRecord } from './realtime/registry.js';
export { encodeWav } from './realtime/wav.js';
export type { RequestRecord } from './request-log.js';
export { SIMULATED_MODELS } from './models.js';

/** The base paths services are configured with when they talk to the simulator. */
export const ROUTE_PREFIXES = {
  openai: '/openai/v1',
  gemini: '/gemini',
  zhipu: '/zhipu/api/paas/v4',
  control: '/_sim',
} as const;

export interface ProviderSimOptions {
  /** Pause before each streamed token; 0 (the default) streams as fast as possible. */
  tokenDelayMs?: number;
  /** How many requests `GET /_sim/requests` remembers. */
  requestLogLimit?: number;
  /** `realtime` (default): realtime answers send audio as fast as it plays; `fast`: as fast as possible. */
  realtimePace?: RealtimePace;
  /** Interval of GLM-Realtime `heartbeat` events; the real service sends one every 30 s. */
  zhipuHeartbeatMs?: number;
}

const DEFAULT_REQUEST_LOG_LIMIT = 200;
const DEFAULT_ZHIPU_HEARTBEAT_MS = 30_000;

/** Paths of the realtime WebSockets, as services are configured with them (`OPENAI_REALTIME_URL`, `ZHIPU_REALTIME_URL`, `GEMINI_LIVE_URL`). */
export const REALTIME_PATHS = {
  openai: `${ROUTE_PREFIXES.openai}/realtime`,
  zhipu: `${ROUTE_PREFIXES.zhipu}/realtime`,
  gemini: geminiLivePath('v1beta'),
} as const;

/**
 * The provider simulator as a Fastify plugin: OpenAI, Gemini and Zhipu text APIs on their usual
 * paths, the `/_sim` control API and `/healthz`. Each provider is its own encapsulated scope, with
 * its own auth, error shape and 404s. Realtime WebSockets (OpenAI GA, GLM-Realtime, Gemini Live) are served on
 * the same port by upgrade, outside Fastify's routing (see `realtime/upgrade.ts`).
 */
export async function providerSim(app: FastifyInstance, options: ProviderSimOptions = {}): Promise<void> {
  const closing = new AbortController();
  // Stalled and streaming answers would otherwise hold `close()` open until they finish.
  app.addHook('preClose', async () => closing.abort());
  const ctx = createContext({
    tokenDelayMs: options.tokenDelayMs ?? 0,
    requestLogLimit: options.requestLogLimit ?? DEFAULT_REQUEST_LOG_LIMIT,
    closing: closing.signal,
    realtimePace: options.realtimePace ?? 'realtime',
    zhipuHeartbeatMs: options.zhipuHeartbeatMs ?? DEFAULT_ZHIPU_HEARTBEAT_MS,
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.register(openaiApi, { prefix: ROUTE_PREFIXES.openai, ctx });
  await app.register(geminiApi, { prefix: ROUTE_PREFIXES.gemini, ctx });
  await app.register(zhipuApi, { prefix: ROUTE_PREFIXES.zhipu, ctx });
  await app.register(controlApi, { prefix: ROUTE_PREFIXES.control, ctx });
  serveRealtime(
    app,
    ctx,
    new Map<string, RealtimeRoute>([
      [REALTIME_PATHS.openai, openaiRealtimeRoute(ctx)],
      [REALTIME_PATHS.zhipu, zhipuRealtimeRoute(ctx)],
      ...GEMINI_LIVE_VERSIONS.map((version) => [geminiLivePath(version), geminiLiveRoute(ctx, version)] as const),
    ]),
  );
}

/**
 * A Fastify instance running the simulator, for `server.ts` and for tests that want one in-process.
 * Request logging is off by default: at benchmark rates it would cost more than the answers.
 */
export function buildSimulator(options: ProviderSimOptions = {}, serverOptions: FastifyServerOptions = {}): FastifyInstance {
  const app = Fastify({ logController: new LogController({ disableRequestLogging: true }), ...serverOptions });
  app.register(providerSim, options);
  return app;
}
