import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** A Prometheus registry per service, with Node's default metrics and HTTP request timings. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  // prom-client reports `external` but not the ArrayBuffer part of it (Buffers, ws frames): with
  // both, RSS growth can be told apart as live buffers, other native memory or the allocator.
  new Gauge({
    name: 'nodejs_array_buffers_bytes',
    help: 'Memory held by ArrayBuffers and Buffers, in bytes (process.memoryUsage().arrayBuffers)',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().arrayBuffers);
    },
  });
  return registry;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

/** Times every request by route pattern (never by raw URL, which would grow without bound). */
export const httpMetrics = fp(
  async (app: FastifyInstance, options: { registry: Registry }) => {
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [options.registry],
    });
    app.decorate('metrics', options.registry);
    app.addHook('onResponse', async (request, reply) => {
      duration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  },
  { name: 'voxgate-http-metrics' },
);
