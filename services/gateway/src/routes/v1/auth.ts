import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { errors } from '../../errors.js';

const digest = (key: string) => createHash('sha256').update(key).digest();

/** Loopback in IPv4 (127.0.0.0/8), IPv6 (::1) and IPv4-mapped IPv6 form. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  // The usual spellings first: every request asks, twice (its id and its client).
  if (address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/** What the gate reads of a request: a Fastify request, or a raw upgrade request (`/v1/realtime`). */
export interface V1Caller {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined };
}

/**
 * Which of `API_KEYS` an `Authorization: Bearer <key>` header carries, as that key's digest:
 * compared in constant time, through digests so lengths leak nothing.
 */
export function apiKeyMatcher(apiKeys: string | undefined): { any: boolean; match: (authorization: string | undefined) => Buffer | undefined } {
  const keys = (apiKeys ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
    .map(digest);
  return {
    any: keys.length > 0,
    match: (authorization) => {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      const given = match?.[1] === undefined ? undefined : digest(match[1]);
      return given && keys.find((k) => timingSafeEqual(k, given));
    },
  };
}

/**
 * The `/v1` gate. With `API_KEYS` set, a request needs `Authorization: Bearer <one of them>`;
 * without, only programs on this machine may call.
 */
export function v1Auth(apiKeys: string | undefined): (request: V1Caller) => Promise<void> {
  const keys = apiKeyMatcher(apiKeys);
  return async (request) => {
    if (!keys.any) {
      if (!isLoopback(request.socket.remoteAddress)) throw errors.loopback_only();
      return;
    }
    if (!keys.match(request.headers.authorization)) throw errors.unauthorized();
  };
}
