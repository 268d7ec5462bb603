import type { SimContext } from '../../context.js';
import { sendEvent } from '../../realtime/events.js';
import { bearerFromHeader, insecureKeyFromProtocols, type RealtimeRoute, type Refusal } from '../../realtime/upgrade.js';
import { openaiErrors } from '../errors.js';
import { admitSideband, connectSideband } from '../webrtc/sideband.js';
import { OpenAiRealtimeSession } from './session.js';

/** Realtime models the GA endpoint takes (openai-node's `RealtimeSessionCreateResponse.model`, protocols.md §1.1). */
export const OPENAI_REALTIME_MODELS = [
  'gpt-realtime',
  'gpt-realtime-2025-08-28',
  'gpt-realtime-mini',
  'gpt-realtime-mini-2025-10-06',
  'gpt-realtime-mini-2025-12-15',
  'gpt-realtime-1.5',
  'gpt-realtime-2',
  'gpt-realtime-2.1',
  'gpt-realtime-2.1-mini',
  'gpt-4o-realtime-preview',
  'gpt-4o-realtime-preview-2024-10-01',
  'gpt-4o-realtime-preview-2024-12-17',
  'gpt-4o-realtime-preview-2025-06-03',
  'gpt-4o-mini-realtime-preview',
  'gpt-4o-mini-realtime-preview-2024-12-17',
  'gpt-audio-1.5',
  'gpt-audio-mini',
];

function refusal(error: { statusCode: number; body: unknown; headers: Readonly<Record<string, string>> }): Refusal {
  return { status: error.statusCode, body: error.body, headers: error.headers };
}

/**
 * `GET /openai/v1/realtime?model=…` upgraded to a WebSocket: the GA realtime API. A key comes as
 * `Authorization: Bearer` (servers) or the `openai-insecure-api-key.<key>` subprotocol (browsers).
 * With `?call_id=` instead of a model it is a WebRTC call's sideband (`webrtc/sideband.ts`).
 */
export function openaiRealtimeRoute(ctx: SimContext): RealtimeRoute {
  return {
    provider: 'openai',
    sessionIdPrefix: 'sess_',
    admit(request, url) {
      const callId = url.searchParams.get('call_id');
      if (callId !== null) return admitSideband(ctx, request, callId);
      if (bearerFromHeader(request) === undefined && insecureKeyFromProtocols(request) === undefined) {
        return { ok: false, refusal: refusal(openaiErrors.unauthenticated()) };
      }
      const model = url.searchParams.get('model');
      if (url.searchParams.get('intent') === 'transcription') {
        return { ok: false, refusal: refusal(openaiErrors.invalidRequest('The simulator serves model sessions and call sidebands, not transcription sessions.')) };
      }
      if (model === null || model === '') return { ok: false, refusal: refusal(openaiErrors.invalidRequest("Missing required parameter: 'model'.", 'model')) };
      // Not documented: a non-realtime model is refused at the handshake here, with 400 like other invalid parameters.
      if (!OPENAI_REALTIME_MODELS.includes(model)) {
        return { ok: false, refusal: refusal(openaiErrors.invalidRequest(`Invalid value: '${model}'. This model is not supported in realtime mode.`, 'model')) };
      }
      return { ok: true, model };
    },
    refusal: (status, retryAfterSeconds) =>
      refusal(status === 429 ? openaiErrors.rateLimited(retryAfterSeconds ?? 1) : { ...openaiErrors.serverError(), statusCode: 503, headers: {} }),
    keyRefusal: (key) => refusal(openaiErrors.invalidKey(key)),
    connect(socket, record, request) {
      const callId = new URL(request.url ?? '/', 'http://simulator').searchParams.get('call_id');
      if (callId !== null) return connectSideband(ctx, socket, callId);
      const transport = { send: (event: Record<string, unknown>) => sendEvent(socket, event) };
      const session = new OpenAiRealtimeSession({ transport, record, registry: ctx.realtime, model: record.model ?? 'gpt-realtime', pace: ctx.realtimePace, nextId: ctx.nextId });
      socket.on('message', (data, isBinary) => session.receive(data as Buffer, isBinary));
      socket.on('close', () => session.cancel('client_cancelled'));
    },
  };
}
