import type { FastifyInstance } from 'fastify';
import { CATALOGUE_SERVICES, ErrorBody, ModelCatalogue } from '@voxgate/protocol';
import type { NatsHandle } from '@voxgate/service-kit';
import { gatherCatalogue } from '../../catalogue.js';
import { errors } from '../../errors.js';

/** `GET /api/models`: the models the running services can serve right now. */
export async function modelsRoute(app: FastifyInstance, options: { nats: NatsHandle; timeoutMs: number }): Promise<void> {
  app.get(
    '/models',
    { schema: { response: { 200: ModelCatalogue, 503: ErrorBody } } },
    async (request) => {
      const { models, missing } = await gatherCatalogue(options.nats.nc, request.log, {
        timeoutMs: options.timeoutMs,
        requestId: request.id,
      });
      if (missing.length === CATALOGUE_SERVICES.length) {
        throw errors.service_unavailable({ message: 'No model-serving service answered; see /api/status.' });
      }
      return { models };
    },
  );
}
