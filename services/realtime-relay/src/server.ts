import { ServiceName } from '@voxgate/protocol';
import { loadConfigOrExit, startService } from '@voxgate/service-kit';
import { advertisedAddress } from './advertise.js';
import { relayApp } from './app.js';
import { RelayConfig } from './config.js';

const config = loadConfigOrExit(RelayConfig);

await startService({
  name: ServiceName.realtimeRelay,
  description: 'Realtime WebSocket sessions: client ⇄ relay ⇄ provider, OpenAI GA events for every provider',
  entryUrl: import.meta.url,
  config,
  metadata: { address: advertisedAddress(config), capacity: String(config.RELAY_MAX_SESSIONS) },
  app: (context) => ({ plugin: relayApp, options: { config, context } }),
});
