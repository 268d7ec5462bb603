import { ApiError, requestJson } from '../api.js';
import type { Phrase } from './transcript.js';

/**
 * The gateway's WebRTC signalling. The page posts its SDP offer; the `session` service forwards it
 * to the provider with the server's key and returns the answer, so no provider key (not even an
 * ephemeral one) ever reaches the page.
 */

export const REALTIME_CALLS_PATH = '/api/realtime/calls';

export type TurnDetection = 'server_vad' | 'semantic_vad' | 'none';

export interface CallOffer {
  model: string;
  sdp: string;
  voice?: string;
  turnDetection: TurnDetection;
  transcription: boolean;
  conversationId: string;
}

export interface CallAnswer {
  sdp: string;
  callId: string;
  conversationId: string;
}

/** SDP exchange through gateway → NATS → session → provider; a few seconds at most on a bad day. */
const SIGNALLING_TIMEOUT_MS = 10_000;

const answerChecker = {
  parse(input: unknown) {
    const body = input as Partial<CallAnswer> | null;
    if (typeof body !== 'object' || body === null) return { ok: false as const, error: 'not an object' };
    if (typeof body.sdp !== 'string' || !body.sdp.startsWith('v=')) return { ok: false as const, error: 'sdp is not an SDP answer' };
    if (typeof body.callId !== 'string' || body.callId === '') return { ok: false as const, error: 'no callId' };
    const conversationId = typeof body.conversationId === 'string' ? body.conversationId : '';
    return { ok: true as const, value: { sdp: body.sdp, callId: body.callId, conversationId } };
  },
};

/** Posts the offer; the gateway's `{error:{code,message}}` comes back as an ApiError. */
export function postCallOffer(offer: CallOffer, signal?: AbortSignal): Promise<CallAnswer> {
  const { model, ...body } = offer;
  return requestJson(`${REALTIME_CALLS_PATH}?model=${encodeURIComponent(model)}`, answerChecker, {
    method: 'POST',
    json: body,
    timeoutMs: SIGNALLING_TIMEOUT_MS,
    ...(signal ? { signal } : {}),
  });
}

function hangupPath(callId: string): string {
  return `${REALTIME_CALLS_PATH}/${encodeURIComponent(callId)}/hangup`;
}

/** Ends the provider's call; closing the peer alone leaves it to time out on the provider's side. */
export function hangUpCall(callId: string): void {
  // keepalive: the hang-up still goes out when it was caused by leaving the view.
  void fetch(hangupPath(callId), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    keepalive: true,
  }).catch(() => undefined);
}

/** The page is going away (`pagehide`): a beacon is the one request the browser promises to send. */
export function hangUpCallBeacon(callId: string): boolean {
  return navigator.sendBeacon(hangupPath(callId), new Blob(['{}'], { type: 'application/json' }));
}

/**
 * A failed signalling request's HTTP status and a short reason for the transcript: the gateway's
 * `code: message`, or the page's own words when no answer came.
 */
export function signallingFailure(error: unknown): { status: number; reason: string | Phrase } {
  if (error instanceof ApiError) {
    const failure = error.failure;
    if (failure.kind === 'http') return { status: failure.status, reason: `${failure.code}: ${failure.message}` };
    if (failure.kind === 'invalid') return { status: 502, reason: `invalid_answer: ${failure.detail}` };
    return { status: 0, reason: { key: failure.kind === 'timeout' ? 'error.timeout' : 'error.network' } };
  }
  return { status: 0, reason: `failed: ${error instanceof Error ? error.message : String(error)}` };
}
