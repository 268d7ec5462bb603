import Fastify, { type FastifyInstance } from 'fastify';
import { createLogger, createMetricsRegistry, errorHandling, fastifyOptions, httpMetrics } from '@voxgate/service-kit';
import { reportReady } from '../lib/child.js';

/**
 * The server side of `http-baseline`: `GET /ping` → `{ ok: true }`, either on a bare Fastify
 * (`bare`) or behind the options and plugins every Voxgate service runs (`kit`).
 * Usage: http-ping.ts bare|kit; reports `{ port }` to the parent.
 */

function bare(): FastifyInstance {
  return Fastify({ logger: false });
}

function kit(): FastifyInstance {
  // 'warn' as in production: per-request info lines are skipped, but every request still gets its child logger.
  const app = Fastify(fastifyOptions(createLogger('bench', 'warn'), {}));
  app.register(errorHandling);
  app.register(httpMetrics, { registry: createMetricsRegistry('bench') });
  return app;
}

const variant = process.argv[2];
if (variant !== 'bare' && variant !== 'kit') throw new Error(`usage: http-ping.ts bare|kit (got ${variant})`);

const app = variant === 'bare' ? bare() : kit();
app.get('/ping', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (typeof address !== 'object' || !address) throw new Error('server has no TCP address');
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
reportReady({ port: address.port });
