import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { SimContext } from '../../context.js';
import { bearerFromHeader, type Admission } from '../../realtime/upgrade.js';
import { openaiError, openaiErrors } from '../errors.js';

/**
 * The sideband socket `…/realtime?call_id=<id>`: a server (with the API key, never a client
 * secret) follows a live call — it receives the call's server events and may send client events.
 */
export function admitSideband(ctx: SimContext, request: IncomingMessage, callId: string): Admission {
  const key = bearerFromHeader(request);
  if (key === undefined) return refuse(openaiErrors.unauthenticated());
  if (key.startsWith('ek_')) return refuse(openaiError(401, 'A call sideband needs the server API key.', 'invalid_request_error', { code: 'invalid_api_key' }));
  const call = ctx.webrtc.live(callId);
  if (call === undefined) return refuse(openaiError(404, `Call '${callId}' not found.`, 'invalid_request_error', { param: 'call_id', code: 'call_not_found' }));
  return { ok: true, model: call.model };
}

/** Attaches an accepted sideband socket to its call; a call that ended meanwhile closes it. */
export function connectSideband(ctx: SimContext, socket: WebSocket, callId: string): void {
  const call = ctx.webrtc.live(callId);
  if (call === undefined) socket.close(1000, 'call ended');
  else call.follow(socket);
}

function refuse(error: { statusCode: number; body: unknown; headers: Readonly<Record<string, string>> }): Admission {
  return { ok: false, refusal: { status: error.statusCode, body: error.body, headers: error.headers } };
}
