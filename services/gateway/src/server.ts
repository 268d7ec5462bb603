import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fp from 'fastify-plugin';
import { ServiceName } from '@voxgate/protocol';
import { ConfigError, loadConfigOrExit, orExitOnConfigError, requestIdOf, startService } from '@voxgate/service-kit';
import { TrustedProxies } from './access/trusted-proxies.js';
import { gatewayApp } from './app.js';
import { isLoopback } from './access/trusted-proxies.js';
import { GatewayConfig } from './config.js';

const config = loadConfigOrExit(GatewayConfig);

/** HTTPS when both TLS files are set; one without the other is a configuration mistake. */
const https = orExitOnConfigError(() => {
  const { TLS_CERT_FILE: cert, TLS_KEY_FILE: key } = config;
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new ConfigError('invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  try {
    return { cert: readFileSync(cert), key: readFileSync(key) };
  } catch (error) {
    throw new ConfigError(`invalid configuration: TLS files cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
});

const proxies = orExitOnConfigError(() => new TrustedProxies(config.TRUST_PROXY));

await startService({
  name: ServiceName.gateway,
  description: 'The public entry: the web page, the browser API and the OpenAI-compatible API',
  entryUrl: import.meta.url,
  config,
  https,
  // Forwarded headers are believed only from the proxies named in TRUST_PROXY, never from anyone.
  fastify: {
    trustProxy: proxies.trusts,
    // A request id from the internet would let a caller pick the id its logs and usage are
    // filed under; only a trusted proxy or a program on this machine may set it.
    genReqId: (req) => (isLoopback(req.socket.remoteAddress) || proxies.trusts(req.socket.remoteAddress ?? '') ? requestIdOf(req) : randomUUID()),
  },
  // Not encapsulated: the gateway's hooks (security headers, login, limits) cover the kit's
  // routes too (/healthz, /metrics, 404s).
  app: (context) => ({ plugin: fp(gatewayApp, { name: 'voxgate-gateway' }), options: { config, context, proxies, tls: https !== undefined } }),
});
