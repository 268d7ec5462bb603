import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '@voxgate/service-kit';
import type { GatewayConfig } from './config.js';
import { modelsRoute } from './routes/api/models.js';
import { statusRoute } from './routes/api/status.js';
import { ServiceDirectory } from './service-directory.js';
import { gatewayStatus } from './status.js';

export interface GatewayOptions {
  config: GatewayConfig;
  context: ServiceContext;
}

/** The gateway as a Fastify plugin: the page at `/`, the browser API under `/api`. */
export async function gatewayApp(app: FastifyInstance, { config, context }: GatewayOptions): Promise<void> {
  const directory = new ServiceDirectory(context.nats.nc, app.log, config.SERVICE_PING_INTERVAL_MS);
  directory.start();
  app.addHook('onClose', async () => directory.stop());

  const status = () => gatewayStatus(context.nats, directory, config.WEB_ROOT);
  app.readiness.setReport(async () => {
    const body = status();
    return { ready: body.ready, body };
  });

  await app.register(
    async (api) => {
      await api.register(modelsRoute, { nats: context.nats, timeoutMs: config.NATS_REQUEST_TIMEOUT_MS });
      await api.register(statusRoute, { status });
    },
    { prefix: '/api' },
  );

  if (existsSync(config.WEB_ROOT)) {
    await app.register(fastifyStatic, { root: config.WEB_ROOT, index: 'index.html', maxAge: '1h', immutable: false });
  } else {
    app.log.warn({ webRoot: config.WEB_ROOT }, 'web page not built; serving the API only');
  }
}
