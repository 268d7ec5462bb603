import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { ensureJetStream, ReplyInbox, type ServiceContext } from '@voxgate/service-kit';
import { Access } from './access/access.js';
import { securityHeaders } from './access/security-headers.js';
import { onTurnStarted } from './access/turn-started.js';
import type { TrustedProxies } from './access/trusted-proxies.js';
import { AttachmentStore, AttachmentSweeper, InlineAttachments } from './attachment-store.js';
import type { GatewayConfig } from './config.js';
import { LiveConnections } from './live-connections.js';
import { parseAllowedOrigins } from './origin.js';
import { realtimeRoute } from './realtime/upgrade.js';
import { attachmentsRoute } from './routes/api/attachments.js';
import { chatRoute } from './routes/api/chat.js';
import { conversationsRoute } from './routes/api/conversations.js';
import { modelsRoute } from './routes/api/models.js';
import { realtimeCallsRoute } from './routes/api/realtime-calls.js';
import { statusRoute } from './routes/api/status.js';
import { turnsRoute } from './routes/api/turns.js';
import { wsRoute } from './routes/api/ws.js';
import { v1Routes } from './routes/v1/index.js';
import { ServiceDirectory } from './service-directory.js';
import { gatewayStatus } from './status.js';
import { TurnFeed } from './turn-feed.js';
import { TurnReader } from './turn-reader.js';

export interface GatewayOptions {
  config: GatewayConfig;
  context: ServiceContext;
  proxies: TrustedProxies;
  /** Served over HTTPS (HSTS, Secure cookies). */
  tls: boolean;
}

/** The gateway as a Fastify plugin: the page at `/`, the browser API under `/api`, the OpenAI-compatible API under `/v1`. */
export async function gatewayApp(app: FastifyInstance, { config, context, proxies, tls }: GatewayOptions): Promise<void> {
  // The turns stream and the attachments bucket; idempotent, whichever service comes up first.
  await ensureJetStream(context.nats.nc);
  const nc = context.nats.nc;
  const timeoutMs = config.NATS_REQUEST_TIMEOUT_MS;
  const live = new LiveConnections();
  const turnFeed = await TurnFeed.open(nc);
  app.addHook('onClose', async () => turnFeed.close());
  const reader = new TurnReader(nc, turnFeed, app.log);
  const store = new AttachmentStore(nc, { maxBytes: config.ATTACHMENTS_MAX_MB * 1_000_000 });
  const graceMs = config.ATTACHMENT_GRACE_S * 1_000;
  const inline = new InlineAttachments(store, { shareMs: graceMs / 2, log: app.log });
  const sweeper = new AttachmentSweeper(nc, store, { graceMs, log: app.log, inUse: (id) => inline.holds(id) });
  app.addHook('onReady', async () => sweeper.start());
  app.addHook('onClose', async () => {
    await sweeper.stop();
    await inline.close();
  });
  // Chat turns are started through one reply inbox; other requests keep nats.js's own. Its
  // deadlines are checked often enough that a start times out at most a quarter late.
  const inbox = new ReplyInbox(nc, { expiryCheckMs: Math.min(1_000, timeoutMs / 4) });
  app.addHook('onClose', async () => inbox.close());
  const delivery = { nats: context.nats, inbox, timeoutMs, reader, live };
  // Streams and sockets get the grace period to end by themselves, then are closed (1001).
  app.addHook('preClose', async () => live.closeAll(config.SHUTDOWN_GRACE_MS));

  const directory = new ServiceDirectory(context.nats.nc, app.log, config.SERVICE_PING_INTERVAL_MS);
  directory.start();
  app.addHook('onClose', async () => directory.stop());

  const allowedOrigins = parseAllowedOrigins(config.ALLOWED_ORIGINS);
  securityHeaders(app, { tls });
  const access = await Access.open({ nc, turnFeed, config, proxies, log: app.log, tls });
  await access.register(app, allowedOrigins);
  onTurnStarted((requestId, turnId) => access.turnStarted(requestId, turnId));
  const status = () => gatewayStatus(context.nats, directory, config.WEB_ROOT);
  app.readiness.setReport(async () => {
    const body = status();
    return { ready: body.ready, body };
  });

  await app.register(
    async (api) => {
      await api.register(modelsRoute, { nats: context.nats, timeoutMs: config.NATS_REQUEST_TIMEOUT_MS });
      await api.register(statusRoute, { status });
      await api.register(attachmentsRoute, { store });
      await api.register(chatRoute, delivery);
      await api.register(turnsRoute, delivery);
      await api.register(conversationsRoute, { nats: context.nats, timeoutMs });
      await api.register(realtimeCallsRoute, { nats: context.nats, timeoutMs, allowedOrigins });
    },
    { prefix: '/api' },
  );
  await app.register(wsRoute, { reader, live, allowedOrigins, access });
  // Realtime sockets are piped to a relay replica: the page's (Origin-checked) and /v1's (API_KEYS).
  const isLocal = (request: IncomingMessage) => proxies.isLocal(request);
  await app.register(realtimeRoute, { nats: context.nats, live, allowedOrigins, apiKeys: config.API_KEYS, isLocal, timeoutMs, access });
  await app.register(async (v1) => v1Routes(v1, { ...delivery, inline, apiKeys: config.API_KEYS, proxies }), { prefix: '/v1' });

  if (existsSync(config.WEB_ROOT)) {
    await app.register(fastifyStatic, { root: config.WEB_ROOT, index: 'index.html', maxAge: '1h', immutable: false });
  } else {
    app.log.warn({ webRoot: config.WEB_ROOT }, 'web page not built; serving the API only');
  }
}
