import type { FastifyInstance } from 'fastify';
import { Subjects } from '@voxgate/protocol';
import { serveCatalogue, type ServiceContext } from '@voxgate/service-kit';
import { webrtcCatalogue } from './catalogue.js';
import type { SessionConfig } from './config.js';

export interface SessionOptions {
  config: SessionConfig;
  context: ServiceContext;
}

/** The session service as a Fastify plugin: health and metrics over HTTP, its work over NATS. */
export async function sessionApp(app: FastifyInstance, { config, context }: SessionOptions): Promise<void> {
  serveCatalogue(context.service, app.log, Subjects.catalogue.session, webrtcCatalogue(config));
}
