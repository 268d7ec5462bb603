import type { FastifyInstance } from 'fastify';
import { Subjects } from '@voxgate/protocol';
import { serveCatalogue, type ServiceContext } from '@voxgate/service-kit';
import { relayCatalogue } from './catalogue.js';
import type { RelayConfig } from './config.js';

export interface RelayOptions {
  config: RelayConfig;
  context: ServiceContext;
}

/** A relay replica as a Fastify plugin: health and metrics now; realtime WebSockets on the same port. */
export async function relayApp(app: FastifyInstance, { config, context }: RelayOptions): Promise<void> {
  serveCatalogue(context.service, app.log, Subjects.catalogue['realtime-relay'], relayCatalogue(config));
}
