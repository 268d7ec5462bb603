import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors } from '../../errors.js';

const digest = (key: string) => createHash('sha256').update(key).digest();

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
 * The `/v1` gate, for HTTP requests and the `/v1/realtime` upgrade. With `API_KEYS` set, a
 * request needs `Authorization: Bearer <one of them>`; without, only programs on this machine may
 * call, as `isLocal` tells them (a request passed on by a reverse proxy is not one).
 */
export function v1Auth(apiKeys: string | undefined, isLocal: (request: IncomingMessage) => boolean): (request: IncomingMessage) => void {
  const keys = apiKeyMatcher(apiKeys);
  return (request) => {
    if (!keys.any) {
      if (!isLocal(request)) throw errors.loopback_only();
      return;
    }
    if (!keys.match(request.headers.authorization)) throw errors.unauthorized();
  };
}
