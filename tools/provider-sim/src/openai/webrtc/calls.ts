import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimContext } from '../../context.js';
import { deliveryFor } from '../../delivery.js';
import { bearerKey, presentedKey } from '../../provider-scope.js';
import { blankSessionRecord } from '../../realtime/registry.js';
import { awaitWholeAnswer } from '../../respond.js';
import { openaiError, openaiErrors } from '../errors.js';
import { WebRtcCall, type CallRecord } from './call.js';
import { answerOffer, OfferRejected } from './peer.js';
import { blackholeCandidates, offerProblem } from './sdp.js';
import { type CheckedSession, parseSessionPart } from './session-request.js';

/** What a call request carried, once its body is read. */
interface CallRequest {
  sdp: string | undefined;
  session: CheckedSession;
  auth: CallRecord['auth'];
}

export function invalidEphemeralKey() {
  return openaiError(401, 'Invalid or expired ephemeral key.', 'invalid_request_error', { code: 'invalid_api_key' });
}

/**
 * `POST /realtime/calls`: multipart `sdp` + `session` with the server key, or a raw
 * `application/sdp` offer with a client secret. Answers 201 with the answer SDP of a live werift
 * peer and `Location: /v1/realtime/calls/<id>`; every refusal is OpenAI's JSON error.
 */
export function createCall(ctx: SimContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const call = await readCallRequest(ctx, request);
    const problem = offerProblem(call.sdp);
    if (problem) throw openaiError(problem.statusCode, problem.message, 'invalid_request_error', { param: 'sdp', code: problem.code });
    if (!call.session.ok) throw call.session.error;
    const { model, session } = call.session;

    const fault = ctx.faults.take('openai', model, ['webrtc', 'http']);
    const logRecord = ctx.recordOf(request);
    if (logRecord !== undefined) ctx.requests.note(logRecord, { model, fault: fault?.kind });
    const delivery = deliveryFor(fault, ctx.tokenDelayMs, openaiErrors, presentedKey(request));
    if (!(await awaitWholeAnswer(reply, 1, delivery, ctx.closing))) return;

    let peer: Awaited<ReturnType<typeof answerOffer>>;
    try {
      peer = await answerOffer(call.sdp ?? '');
    } catch (error) {
      if (error instanceof OfferRejected) throw openaiError(400, `Invalid SDP offer: ${error.message}`, 'invalid_request_error', { param: 'sdp', code: 'invalid_offer' });
      throw error;
    }
    const id = ctx.nextId('rtc_');
    const record = newCallRecord(ctx, id, model, call.auth, session, fault?.kind);
    let answerSdp = peer.answerSdp;
    if (fault?.kind === 'webrtc_ice_blackhole') {
      // No peer stays behind to answer checks: the browser's ICE can only time out.
      answerSdp = blackholeCandidates(answerSdp);
      record.state = 'blackholed';
      await peer.pc.close();
      ctx.webrtc.add(record, undefined);
    } else {
      const live = new WebRtcCall(peer, {
        record,
        registry: ctx.realtime,
        pace: ctx.realtimePace,
        nextId: ctx.nextId,
        initialSession: session,
        onEnded: () => ctx.webrtc.ended(id),
      });
      ctx.webrtc.add(record, live);
    }
    return reply.code(201).headers({ 'content-type': 'application/sdp', location: `/v1/realtime/calls/${id}` }).send(answerSdp);
  };
}

/** `POST /realtime/calls/:id/hangup` with the server key: 200 and the peer closes; an unknown or ended call: 404. */
export function hangUpCall(ctx: SimContext) {
  return async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    if (bearerKey(request)?.startsWith('ek_')) throw openaiError(401, 'Hanging up a call needs the server API key.', 'invalid_request_error', { code: 'invalid_api_key' });
    if (!ctx.webrtc.hangUp(request.params.id)) {
      throw openaiError(404, `Call '${request.params.id}' not found.`, 'invalid_request_error', { param: 'call_id', code: 'call_not_found' });
    }
    return reply.code(200).send();
  };
}

async function readCallRequest(ctx: SimContext, request: FastifyRequest): Promise<CallRequest> {
  const key = bearerKey(request) ?? '';
  // Compared in lower case; the boundary itself is case-sensitive, so the form reads the original.
  const rawContentType = request.headers['content-type'] ?? '';
  const contentType = rawContentType.toLowerCase();
  const secret = key.startsWith('ek_') ? ctx.clientSecrets.lookup(key) : undefined;
  if (key.startsWith('ek_') && secret === undefined) throw invalidEphemeralKey();
  if (contentType.startsWith('application/sdp')) {
    const sdp = typeof request.body === 'string' ? request.body : undefined;
    if (secret === undefined) {
      // The server key carries no session; OpenAI wants the multipart form then.
      throw openaiError(400, "Missing required parameter: 'session'. With an API key, send multipart/form-data with 'sdp' and 'session'.", 'invalid_request_error', {
        param: 'session',
        code: 'missing_required_parameter',
      });
    }
    return { sdp, session: { ok: true, session: secret.session, model: secret.model }, auth: 'client_secret' };
  }
  if (contentType.startsWith('multipart/form-data')) {
    const form = await readForm(request, rawContentType);
    const sdp = form.get('sdp');
    const sessionPart = form.get('session');
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    if (secret !== undefined) {
      if (sessionPart !== null) throw openaiErrors.invalidRequest("A call made with a client secret takes its session from the secret; leave out 'session'.", 'session');
      return { sdp: text(sdp), session: { ok: true, session: secret.session, model: secret.model }, auth: 'client_secret' };
    }
    return { sdp: text(sdp), session: parseSessionPart(text(sessionPart)), auth: 'server_key' };
  }
  throw openaiError(400, 'Send the offer as multipart/form-data (sdp, session) or as application/sdp.', 'invalid_request_error', { code: 'unsupported_content_type' });
}

async function readForm(request: FastifyRequest, contentType: string): Promise<FormData> {
  if (!Buffer.isBuffer(request.body)) throw openaiErrors.invalidRequest('Could not read the multipart/form-data body.');
  try {
    return await new Response(new Uint8Array(request.body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw openaiError(400, 'Could not parse the multipart/form-data body.', 'invalid_request_error', { code: 'invalid_multipart' });
  }
}

function newCallRecord(ctx: SimContext, id: string, model: string, auth: CallRecord['auth'], session: Record<string, unknown>, fault: string | undefined): CallRecord {
  return {
    id,
    model,
    auth,
    createdAt: new Date().toISOString(),
    state: 'new',
    dataChannelOpen: false,
    hungUp: false,
    rtpPacketsIn: 0,
    rtpBytesIn: 0,
    decodedMsIn: 0,
    undecodablePackets: 0,
    rtpPacketsOut: 0,
    rtpBytesOut: 0,
    dataChannelEvents: {},
    sidebandConnections: 0,
    sidebandEvents: {},
    initialSession: session,
    session: blankSessionRecord({ id: ctx.nextId('sess_'), provider: 'openai', model }),
    ...(fault === undefined ? {} : { fault }),
  };
}
