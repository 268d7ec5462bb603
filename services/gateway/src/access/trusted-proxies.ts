import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '@voxgate/service-kit';

/** Loopback in IPv4 (127.0.0.0/8), IPv6 (::1) and IPv4-mapped IPv6 form. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  // The usual spellings first: every request asks, twice (its id and its client).
  if (address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/** Headers a proxy adds for the client it passes a request on for; a program calling directly sends none. */
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host', 'x-forwarded-proto', 'via', 'true-client-ip', 'cf-connecting-ip'];

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`) as the IPv4 address it is. */
export const plainAddress = (address: string): string => (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address);

/**
 * The reverse proxies named in `TRUST_PROXY`. Only their `X-Forwarded-For` is believed, and only
 * up to the first hop that is not one of them, so a client cannot pick its own address by sending
 * the header itself. Fastify gets the same rule (never `trustProxy: true`).
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #any: boolean;

  constructor(value: string | undefined) {
    const entries = (value ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address);
      const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
      if (family === 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new ConfigError('invalid configuration: TRUST_PROXY must be IP addresses or CIDR ranges, comma-separated');
      }
      this.#list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
    this.#any = entries.length > 0;
  }

  /** Fastify's `trustProxy` as a function: whether the hop at `address` is one of ours. */
  readonly trusts = (address: string): boolean => {
    if (!this.#any) return false;
    const plain = plainAddress(address);
    const family = isIP(plain);
    return family !== 0 && this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };

  /**
   * Whether a request comes from a program on this machine. A reverse proxy on the same host
   * connects from loopback too: one named in `TRUST_PROXY` says who its client is, and one that is
   * not still gives itself away by its forwarding headers. Without this, a same-host proxy would
   * open `/v1` (without `API_KEYS`), `/metrics` and the local exemption from limits to everyone
   * the proxy serves. (A proxy that adds no forwarding header cannot be told apart: the README
   * says to set `API_KEYS` behind one.)
   */
  isLocal(request: IncomingMessage): boolean {
    const peer = request.socket.remoteAddress;
    if (!isLoopback(peer)) return false;
    if (this.trusts(peer ?? '')) return isLoopback(this.clientAddress(request));
    return !FORWARDING_HEADERS.some((name) => request.headers[name] !== undefined);
  }

  /** The client's address for a raw request (an upgrade has no Fastify `request.ip`). */
  clientAddress(request: IncomingMessage): string {
    let address = plainAddress(request.socket.remoteAddress ?? '');
    if (!this.trusts(address)) return address;
    const forwarded = request.headers['x-forwarded-for'];
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').map((h) => h.trim());
    // Right to left: each trusted hop vouches for the one before it.
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = plainAddress(hops[i] ?? '');
      if (isIP(hop) === 0) return address;
      address = hop;
      if (!this.trusts(hop)) return hop;
    }
    return address;
  }
}
