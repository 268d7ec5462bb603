import type { FastifyInstance } from 'fastify';
import { RealtimeLimits, Subjects } from '@voxgate/protocol';
import { ensureJetStream, serveCatalogue, VoiceHistory, type ServiceContext } from '@voxgate/service-kit';
import { adapterFactory } from './adapters.js';
import { advertisedAddress } from './advertise.js';
import { relayCatalogue } from './catalogue.js';
import type { RelayConfig } from './config.js';
import { SessionEvents } from './events.js';
import { RegistryEntry } from './registry.js';
import { RealtimeServer } from './ws-server.js';

export interface RelayOptions {
  config: RelayConfig;
  context: ServiceContext;
}

/**
 * A relay replica as a Fastify plugin: the realtime WebSocket endpoint (`GET /v1/realtime?model=…`)
 * on the same port as health and metrics, its entry in the relay registry, and the shutdown order:
 * draining (entry updated, new sessions refused), running sessions given `SHUTDOWN_GRACE_MS`, the
 * rest closed with 1001, then the entry deleted.
 */
export async function relayApp(app: FastifyInstance, { config, context }: RelayOptions): Promise<void> {
  const catalogue = relayCatalogue(config);
  serveCatalogue(context.service, app.log, Subjects.catalogue['realtime-relay'], catalogue);
  const { nc } = context.nats;
  await ensureJetStream(nc);
  const relayId = context.service.info().id;
  const events = new SessionEvents(nc, relayId, await VoiceHistory.open(nc, app.log, 'rt'), app.log);

  let registry: RegistryEntry | undefined;
  const realtime = new RealtimeServer(app.server, {
    adapterFor: adapterFactory(config, catalogue),
    maxSessions: config.RELAY_MAX_SESSIONS,
    limits: {
      maxSessionMs: config.RELAY_MAX_SESSION_MS,
      idleTimeoutMs: config.RELAY_IDLE_TIMEOUT_MS,
      clientBufferMaxBytes: config.RELAY_CLIENT_BUFFER_MAX_BYTES,
      maxFrameBytes: RealtimeLimits.maxFrameBytes,
    },
    hooks: events,
    log: app.log,
    onLoadChange: () => registry?.changed(),
  });
  registry = new RegistryEntry(relayId, advertisedAddress(config), config.RELAY_MAX_SESSIONS, () => ({
    activeSessions: realtime.activeSessions,
    draining: realtime.draining,
  }), app.log);
  const entry = registry;

  app.readiness.addCheck(() => (realtime.draining ? 'draining: taking no new sessions' : undefined));
  // Registered once the port listens, so the gateway never dials a replica that cannot answer yet.
  app.addHook('onListen', async () => entry.start(nc));
  app.addHook('preClose', async () => {
    realtime.startDraining();
    await entry.flush();
    app.log.info({ activeSessions: realtime.activeSessions, graceMs: config.SHUTDOWN_GRACE_MS }, 'draining realtime sessions');
    if (!(await realtime.waitForSessions(config.SHUTDOWN_GRACE_MS))) realtime.closeAll();
    await entry.remove();
  });
}
