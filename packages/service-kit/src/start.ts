import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import Fastify, {
  type FastifyHttpsOptions, type FastifyInstance, type FastifyPluginAsync, type FastifyPluginOptions, type FastifyServerOptions } from 'fastify';
import type { Service } from 'nats';
import type { TObject, TProperties, Static } from 'typebox';
import { ConfigError, loadConfig } from './config.js';
import { errorHandling } from './errors.js';
import { healthRoutes } from './health.js';
import { fastifyOptions, HTTP_SERVER_LIMITS, MAX_HEADERS_COUNT } from './http.js';
import { createLogger } from './logger.js';
import { createMetricsRegistry, httpMetrics } from './metrics.js';
import { connectNats, type NatsHandle } from './nats.js';
import { registerService } from './nats-service.js';
import { shutdownOnSignals } from './shutdown.js';
import { closeSilentConnections } from './silent-connections.js';

/** What every service's app plugin receives from the process around it. */
export interface ServiceContext {
  nats: NatsHandle;
  /** The NATS services API registration, to add endpoints to. */
  service: Service;
}

export type BaseConfig = { NATS_URL: string; HOST: string; PORT: number; LOG_LEVEL: string; SHUTDOWN_GRACE_MS: number };

export interface ServiceDefinition<C extends BaseConfig, O extends FastifyPluginOptions> {
  name: string;
  description: string;
  /** `import.meta.url` of the server entry; the version is read from the package.json above it. */
  entryUrl: string;
  /** The validated config (see `loadConfigOrExit`); the kit reads the common variables from it. */
  config: C;
  /** The app plugin and its options, built from the process context. */
  app: (context: ServiceContext) => { plugin: FastifyPluginAsync<O>; options: O };
  /** Service metadata for `$SRV.INFO`, e.g. where a relay can be reached. */
  metadata?: Record<string, string>;
  fastify?: Partial<FastifyServerOptions>;
  /** Serve HTTPS (and WSS) with this certificate and key. */
  https?: { cert: Buffer; key: Buffer } | undefined;
}

/** Reads the config or exits with status 1 and one line naming the variable. */
export function loadConfigOrExit<P extends TProperties>(schema: TObject<P>): Static<TObject<P>> {
  return orExitOnConfigError(() => loadConfig(schema));
}

/** Runs a start-up step that may find the configuration wrong; a `ConfigError` exits with one line. */
export function orExitOnConfigError<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Why a port cannot be taken, in one line a user can act on; the code stays in it (test stacks look for EADDRINUSE). */
const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'another process holds the port; stop it or set PORT',
  EACCES: 'this user may not take the port; set PORT to one above 1023',
  EADDRNOTAVAIL: 'HOST is not an address of this machine',
};

/** Listens, or exits with status 1 and one line when the address cannot be had (no stack trace). */
async function listenOrExit(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const why = LISTEN_FAILURES[code];
    if (why === undefined) throw error;
    process.stderr.write(`cannot listen on ${host}:${port} (${code}): ${why}\n`);
    process.exit(1);
  }
}

function packageVersion(entryUrl: string): string {
  const raw = readFileSync(new URL('../package.json', entryUrl), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}

/**
 * The process around a service: config, logger, NATS, the services-API registration, Fastify with
 * the kit's error handling, health and metrics, the app plugin, listen, and shutdown on signals.
 */
export async function startService<C extends BaseConfig, O extends FastifyPluginOptions>(
  definition: ServiceDefinition<C, O>,
): Promise<void> {
  const base = definition.config;
  const log = createLogger(definition.name, base.LOG_LEVEL);
  const nats = await connectNats({ servers: base.NATS_URL, name: definition.name, log });

  const context: ServiceContext = {
    nats,
    service: await registerService(nats.nc, {
      name: definition.name,
      version: packageVersion(definition.entryUrl),
      description: definition.description,
      metadata: definition.metadata ?? {},
    }),
  };

  const serverOptions = fastifyOptions(log, definition.fastify);
  // Fastify's HTTPS factory returns a differently-typed instance; routes and hooks are the same.
  const app = (
    definition.https
      ? Fastify({ ...serverOptions, https: { ...HTTP_SERVER_LIMITS, ...definition.https } } as unknown as FastifyHttpsOptions<HttpsServer>)
      : Fastify(serverOptions)
  ) as unknown as FastifyInstance;
  closeSilentConnections(app.server);
  app.server.maxHeadersCount = MAX_HEADERS_COUNT;
  await app.register(errorHandling);
  await app.register(httpMetrics, { registry: createMetricsRegistry(definition.name) });
  await app.register(healthRoutes, { nats });
  const { plugin, options } = definition.app(context);
  await app.register(plugin, options);

  await listenOrExit(app, base.HOST, base.PORT);
  shutdownOnSignals({ app, nats, log, deadlineMs: base.SHUTDOWN_GRACE_MS + 5_000 });
}
