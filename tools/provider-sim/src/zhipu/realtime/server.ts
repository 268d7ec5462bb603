import type { SimContext } from '../../context.js';
import { bearerFromHeader, type RealtimeRoute, type Refusal } from '../../realtime/upgrade.js';
import type { ProviderError } from '../../provider.js';
import { zhipuErrors } from '../errors.js';
import { GlmRealtimeSession } from './session.js';

function refusal(error: ProviderError): Refusal {
  return { status: error.statusCode, body: error.body, headers: error.headers };
}

/**
 * `GET /zhipu/api/paas/v4/realtime` upgraded to a WebSocket: GLM-Realtime. The key comes only as
 * `Authorization: Bearer`; the model is chosen later, in `session.update`.
 */
export function zhipuRealtimeRoute(ctx: SimContext): RealtimeRoute {
  return {
    provider: 'zhipu',
    sessionIdPrefix: 'sess_',
    admit: (request) => (bearerFromHeader(request) === undefined ? { ok: false, refusal: refusal(zhipuErrors.unauthenticated()) } : { ok: true }),
    refusal: (status, retryAfterSeconds) =>
      refusal(status === 429 ? zhipuErrors.rateLimited(retryAfterSeconds ?? 1) : Object.assign(zhipuErrors.serverError(), { statusCode: 503 })),
    keyRefusal: (key) => refusal(zhipuErrors.invalidKey(key)),
    connect(socket, record) {
      new GlmRealtimeSession({ socket, record, registry: ctx.realtime, pace: ctx.realtimePace, heartbeatMs: ctx.zhipuHeartbeatMs, nextId: ctx.nextId });
    },
  };
}
