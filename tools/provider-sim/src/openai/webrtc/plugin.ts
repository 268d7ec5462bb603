import type { FastifyInstance } from 'fastify';
import type { SimContext } from '../../context.js';
import { createCall, hangUpCall } from './calls.js';
import { mintClientSecret } from './mint.js';
import { MAX_SDP_BYTES } from './sdp.js';

/**
 * Room for an SDP offer plus a session config. Above it Fastify answers 413 in OpenAI's shape;
 * between the SDP limit and this, the handler's own `sdp_too_large` explains which part is too big.
 */
const CALL_BODY_LIMIT_BYTES = 4 * MAX_SDP_BYTES;

/** OpenAI's WebRTC endpoints, inside the `/openai/v1` scope (auth, errors, request log). */
export async function openaiWebrtc(app: FastifyInstance, { ctx }: { ctx: SimContext }): Promise<void> {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: CALL_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('application/sdp', { parseAs: 'string', bodyLimit: CALL_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
  app.post('/realtime/client_secrets', mintClientSecret(ctx));
  app.post('/realtime/calls', { bodyLimit: CALL_BODY_LIMIT_BYTES }, createCall(ctx));
  app.post<{ Params: { id: string } }>('/realtime/calls/:id/hangup', hangUpCall(ctx));
  app.addHook('preClose', async () => ctx.webrtc.endAll());
}
