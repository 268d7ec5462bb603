import type { FastifyBaseLogger } from 'fastify';
import type { Service } from 'nats';
import { Type } from 'typebox';
import { createParser, type ModelCatalogue, type ModelEntry } from '@voxgate/protocol';
import { addJsonEndpoint } from './nats-service.js';

const EmptyRequest = createParser(Type.Object({}));

/**
 * Answers the service's catalogue subject with the models it can serve. The list is fixed at
 * start-up (it follows from the configuration), so each answer is the same object.
 */
export function serveCatalogue(service: Service, log: FastifyBaseLogger, subject: string, models: ModelEntry[]): void {
  const catalogue: ModelCatalogue = { models };
  addJsonEndpoint(service, log, { name: 'models', subject, request: EmptyRequest, handler: async () => catalogue });
  log.info({ models: models.map((m) => m.id) }, 'models offered');
}
