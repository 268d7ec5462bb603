import WebSocket from 'ws';
import { RealtimeLimits } from '@voxgate/protocol';
import { ConnectTunnelAgent, proxyFor, type ProxySettings } from '@voxgate/service-kit';

export interface UpstreamTarget {
  /** The provider URL, from configuration only, never from a request. */
  url: URL;
  /** The provider key, sent as `Authorization: Bearer`; never logged. */
  apiKey: string;
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
  return new WebSocket(target.url, {
    headers: { Authorization: `Bearer ${target.apiKey}` },
    perMessageDeflate: false,
    followRedirects: false,
    handshakeTimeout: target.connectTimeoutMs,
    // The provider's frames are audio deltas; a larger one is a fault, not audio.
    maxPayload: 16 * RealtimeLimits.maxFrameBytes,
    ...(proxy ? { agent: new ConnectTunnelAgent(proxy, { timeoutMs: target.connectTimeoutMs, secure }) } : {}),
  });
}
