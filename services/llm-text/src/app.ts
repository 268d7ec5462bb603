import type { FastifyInstance } from 'fastify';
import { Subjects } from '@voxgate/protocol';
import { serveCatalogue, type ServiceContext } from '@voxgate/service-kit';
import { textCatalogue } from './catalogue.js';
import type { LlmTextConfig } from './config.js';
import type { ModelsFile } from './models-file.js';

export interface LlmTextOptions {
  config: LlmTextConfig;
  modelsFile: ModelsFile;
  context: ServiceContext;
}

/** llm-text as a Fastify plugin: its HTTP side is health and metrics; its work arrives over NATS. */
export async function llmTextApp(app: FastifyInstance, { config, modelsFile, context }: LlmTextOptions): Promise<void> {
  serveCatalogue(context.service, app.log, Subjects.catalogue['llm-text'], textCatalogue(config, modelsFile));
}
