import WebSocket from 'ws';
import { RealtimeLimits } from '@voxgate/protocol';
import { ConnectTunnelAgent, proxyFor, type ProxySettings } from '@voxgate/service-kit';

export interface UpstreamTarget {
  /** The provider URL, from configuration only, never from a request. */
  url: URL;
  /** The provider key, sent as `Authorization: Bearer` (or in `keyQueryParam`); never logged. */
  apiKey: string;
  /**
   * The query parameter that carries the key instead of a header (Gemini Live: `key`, protocols.md
   * §4.4). `url` stays without it, so nothing that logs the target can show the key.
   */
  keyQueryParam?: string;
  proxy: ProxySettings;
  connectTimeoutMs: number;
}

/**
 * Opens the provider WebSocket, through a CONNECT tunnel when a proxy applies. Compression stays
 * off (base64 audio barely compresses and zlib costs CPU and memory per socket); redirects are not
 * followed, so the key never reaches another host. The socket is returned at once; it may still
 * be connecting.
 */
export function openUpstream(target: UpstreamTarget): WebSocket {
  const proxy = proxyFor(target.url, target.proxy);
  const secure = target.url.protocol === 'wss:';
  let url = target.url;
  if (target.keyQueryParam !== undefined) {
    url = new URL(target.url);
    url.searchParams.set(target.keyQueryParam, target.apiKey);
  }
  return new WebSocket(url, {
    // A key in the query is the only credential: a Bearer header would be read as an OAuth token.
    headers: target.keyQueryParam === undefined ? { Authorization: `Bearer ${target.apiKey}` } : {},
    perMessageDeflate: false,
    followRedirects: false,
    handshakeTimeout: target.connectTimeoutMs,
    // The provider's frames are audio deltas; a larger one is a fault, not audio.
    maxPayload: 16 * RealtimeLimits.maxFrameBytes,
    ...(proxy ? { agent: new ConnectTunnelAgent(proxy, { timeoutMs: target.connectTimeoutMs, secure }) } : {}),
  });
}
