import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Readiness } from '@voxgate/protocol';
import type { NatsHandle } from './nats.js';

/** One thing a service needs before it can serve; returns why it is not ready, or undefined. */
export type ReadinessCheck = () => string | undefined | Promise<string | undefined>;

/** A full readiness answer, for a service whose `/readyz` says more than ready-or-not. */
export type ReadinessReport = () => Promise<{ ready: boolean; body: unknown }>;

/** What an app plugin uses to say what its readiness depends on. */
export interface ReadinessRegistry {
  addCheck(check: ReadinessCheck): void;
  /** Replaces the default body, e.g. with the gateway's list of downstream services. */
  setReport(report: ReadinessReport): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: ReadinessRegistry;
  }
}

/** `/healthz` (alive), `/readyz` (able to serve, 503 with reasons otherwise), `/metrics` (Prometheus). */
export const healthRoutes = fp(
  async (app: FastifyInstance, options: { nats: NatsHandle }) => {
    const checks: ReadinessCheck[] = [async () => (options.nats.isConnected() ? undefined : 'NATS is not connected')];
    let report: ReadinessReport | undefined;
    app.decorate('readiness', {
      addCheck: (check: ReadinessCheck) => void checks.push(check),
      setReport: (r: ReadinessReport) => {
        report = r;
      },
    });

    app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

    app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
      if (report) {
        const { ready, body } = await report();
        return reply.code(ready ? 200 : 503).send(body);
      }
      const reasons = (await Promise.all(checks.map((check) => check()))).filter((r): r is string => r !== undefined);
      const body: Readiness = { ready: reasons.length === 0, reasons };
      return reply.code(body.ready ? 200 : 503).send(body);
    });

    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      reply.header('content-type', app.metrics.contentType);
      return app.metrics.metrics();
    });
  },
  { name: 'voxgate-health', dependencies: ['voxgate-http-metrics'] },
);
