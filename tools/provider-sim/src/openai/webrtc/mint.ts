import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { SimContext } from '../../context.js';
import { isPlainObject } from '../../realtime/params.js';
import { openaiErrors } from '../errors.js';
import { applySessionUpdate, defaultSession } from '../realtime/session-config.js';
import { secretTtlSeconds } from './client-secrets.js';
import { checkSessionConfig } from './session-request.js';

/**
 * `POST /realtime/client_secrets` (GA): `{expires_after?, session?}` with the server key →
 * `{value:'ek_…', expires_at, session}`. The key is remembered until it expires, so calls
 * (`application/sdp` with `Bearer ek_…`) can use it.
 */
export function mintClientSecret(ctx: SimContext) {
  return async (request: FastifyRequest) => {
    const body = request.body ?? {};
    if (!isPlainObject(body)) throw openaiErrors.invalidRequest('The request body must be a JSON object.');
    for (const key of Object.keys(body)) {
      if (key !== 'expires_after' && key !== 'session') throw openaiErrors.invalidRequest(`Unknown parameter: '${key}'.`, key);
    }
    const ttl = secretTtlSeconds(body.expires_after);
    if (!ttl.ok) throw openaiErrors.invalidRequest(ttl.message, ttl.param);
    const checked = checkSessionConfig(body.session ?? { type: 'realtime', model: 'gpt-realtime' });
    if (!checked.ok) throw checked.error;
    const record = ctx.recordOf(request);
    if (record !== undefined) ctx.requests.note(record, { model: checked.model });
    const value = `ek_${randomBytes(16).toString('hex')}`;
    const expiresAtS = Math.floor(Date.now() / 1000) + ttl.seconds;
    ctx.clientSecrets.issue(value, { expiresAtMs: expiresAtS * 1000, model: checked.model, session: checked.session });
    const session = applySessionUpdate(defaultSession(ctx.nextId('sess_'), checked.model), checked.session);
    return { value, expires_at: expiresAtS, session };
  };
}
