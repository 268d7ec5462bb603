import { Agent as HttpAgent, request as httpRequest, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ProxySettings } from './proxy.js';

/** The proxy for `target`, per the standard HTTP(S)_PROXY/NO_PROXY meaning; undefined: go direct. */
export function proxyFor(target: URL, settings: ProxySettings): URL | undefined {
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const proxy = secure ? (settings.HTTPS_PROXY ?? settings.HTTP_PROXY) : settings.HTTP_PROXY;
  if (!proxy || bypassed(target, settings.NO_PROXY)) return undefined;
  return new URL(proxy);
}

/**
 * NO_PROXY as curl and undici read it: comma- or space-separated hosts, `*` for all, a leading dot or
 * `*.` for a domain and its subdomains, an optional `:port`.
 */
export function bypassed(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'wss:' || target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const { host: entryHost, port: entryPort } = splitHostPort(entry);
    const pattern = entryHost.replace(/^\*?\./, '.');
    if (entryPort && entryPort !== port) continue;
    if (pattern.startsWith('.') ? host.endsWith(pattern) || host === pattern.slice(1) : host === pattern) return true;
  }
  return false;
}

/** A NO_PROXY entry as host and optional port: `host:port`, `[v6]:port`, or a bare IPv6 address (no port). */
function splitHostPort(entry: string): { host: string; port: string | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] };
  // `::1` or `fe80::1`: the colons belong to the address, so it carries no port.
  if (entry.indexOf(':') !== entry.lastIndexOf(':')) return { host: entry, port: undefined };
  const match = /^(.*?)(?::(\d+))?$/.exec(entry);
  return { host: match?.[1] ?? entry, port: match?.[2] };
}

/**
 * An agent whose every connection is a CONNECT tunnel through an HTTP(S) proxy, then TLS to the
 * target when the target is `wss:`. `ws` hands it the request; no keep-alive (one socket per session).
 */
export class ConnectTunnelAgent extends HttpAgent {
  readonly #proxy: URL;
  readonly #timeoutMs: number;
  readonly #secure: boolean;

  /** `secure`: the target is `wss:`, so TLS runs inside the tunnel. */
  constructor(proxy: URL, options: AgentOptions & { timeoutMs: number; secure: boolean }) {
    super({ ...options, keepAlive: false });
    this.#proxy = proxy;
    this.#timeoutMs = options.timeoutMs;
    this.#secure = options.secure;
    // `https.request` (which `ws` uses for wss:) refuses an agent of another protocol.
    (this as unknown as { protocol: string }).protocol = options.secure ? 'https:' : 'http:';
  }

  override createConnection(
    options: ClientRequestArgs & ConnectionOptions,
    callback?: (err: Error | null, socket: Duplex) => void,
  ): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 443);
    const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const headers: Record<string, string> = { host: authority };
    if (this.#proxy.username) {
      const credentials = `${decodeURIComponent(this.#proxy.username)}:${decodeURIComponent(this.#proxy.password)}`;
      headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    const request = (this.#proxy.protocol === 'https:' ? httpsRequest : httpRequest)({
      host: this.#proxy.hostname.replace(/^\[|\]$/g, ''),
      port: this.#proxy.port || (this.#proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers,
      timeout: this.#timeoutMs,
      agent: false,
    });
    const fail = (error: Error) => callback?.(error, undefined as unknown as Duplex);
    request.once('timeout', () => request.destroy(new Error('proxy CONNECT timed out')));
    request.once('error', fail);
    request.once('connect', (response, socket, head) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        fail(new Error(`proxy refused CONNECT with ${response.statusCode}`));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      if (!this.#secure) {
        callback?.(null, socket);
        return;
      }
      const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
      const tls = tlsConnect({ ...tlsOptions(options), socket, ...(servername ? { servername } : {}) });
      tls.once('secureConnect', () => callback?.(null, tls));
      tls.once('error', fail);
    });
    request.end();
    return undefined;
  }
}

/** The TLS settings `ws` passed for the target (CA, rejectUnauthorized), without the socket ones. */
function tlsOptions(options: ConnectionOptions): ConnectionOptions {
  const { ca, cert, key, rejectUnauthorized, ALPNProtocols, minVersion, maxVersion } = options;
  const picked: ConnectionOptions = {};
  if (ca !== undefined) picked.ca = ca;
  if (cert !== undefined) picked.cert = cert;
  if (key !== undefined) picked.key = key;
  if (rejectUnauthorized !== undefined) picked.rejectUnauthorized = rejectUnauthorized;
  if (ALPNProtocols !== undefined) picked.ALPNProtocols = ALPNProtocols;
  if (minVersion !== undefined) picked.minVersion = minVersion;
  if (maxVersion !== undefined) picked.maxVersion = maxVersion;
  return picked;
}
