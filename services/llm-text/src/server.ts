import { ServiceName } from '@voxgate/protocol';
import { loadConfigOrExit, orExitOnConfigError, startService } from '@voxgate/service-kit';
import { llmTextApp } from './app.js';
import { LlmTextConfig } from './config.js';
import { readModelsFile } from './models-file.js';
import { compatibleServerKeys } from './providers/registry.js';

const config = loadConfigOrExit(LlmTextConfig);
const modelsFile = orExitOnConfigError(() => readModelsFile(config.MODELS_FILE));
const serverKeys = compatibleServerKeys(modelsFile, process.env);

await startService({
  name: ServiceName.llmText,
  description: 'Text, image and audio chat against each provider, streamed through JetStream',
  entryUrl: import.meta.url,
  config,
  app: (context) => ({ plugin: llmTextApp, options: { config, context, modelsFile, serverKeys } }),
});
