import { ServiceName } from '@voxgate/protocol';
import { loadConfigOrExit, startService } from '@voxgate/service-kit';
import { sessionApp } from './app.js';
import { SessionConfig } from './config.js';

const config = loadConfigOrExit(SessionConfig);

await startService({
  name: ServiceName.session,
  description: 'OpenAI realtime control plane: ephemeral keys and WebRTC SDP exchange with the server key',
  entryUrl: import.meta.url,
  config,
  app: (context) => ({ plugin: sessionApp, options: { config, context } }),
});
