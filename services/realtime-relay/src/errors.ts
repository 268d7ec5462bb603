import { randomUUID } from 'node:crypto';
import type { RealtimeErrorEvent } from '@voxgate/protocol';

/**
 * The relay's error catalogue. Codes sent as GA `error` events keep the session open unless the
 * table says it closes; upgrade refusals answer HTTP with the kit's `{ error: { code, message } }`.
 *
 * | code | sent as | session |
 * |---|---|---|
 * | `invalid_json` | error event | continues |
 * | `binary_frame_unsupported` | error event | continues |
 * | `frame_too_large` | error event (ws `maxPayload` closes 1009 above 4× the limit) | continues |
 * | `unknown_event_type` | error event | continues |
 * | `invalid_event` | error event | continues |
 * | `invalid_audio` | error event | continues |
 * | `unsupported_event` | error event (an event the provider has no equivalent for, or a `response.create` option GLM cannot honour; `param` names it) | continues |
 * | `unsupported_session_option` | error event (a `session.update` option the provider cannot honour, e.g. G.711 or `create_response: false` with GLM; `param` names it) | continues |
 * | `item_not_found` | error event (GLM: a `conversation.item.truncate` naming no assistant item the relay announced; OpenAI's own code) | continues |
 * | `invalid_value` | error event (GLM: a truncate of an item without audio, of another content part, or past the audio sent; `param` names the field, as OpenAI's does) | continues |
 * | `provider_not_ready` | error event (frames queued before the provider answered overflowed) | continues |
 * | `provider_unavailable` | error event, then close 1011: the provider could not be reached or refused the upgrade (its HTTP status, message and `Retry-After` in the message; `type` `rate_limit_error` for 429) | ends |
 * | `provider_disconnected` | error event, then close 1011: the provider connection dropped without a close frame (1006) or with a code that is not the provider's own ending | ends |
 * | `provider_error` | error event mapped from a translated provider's error | continues |
 * | `session_expired` | error event, then close 1001 | ends |
 * | `idle_timeout` | error event, then close 1000 | ends |
 * | `client_too_slow` | error event, then close 1013 | ends |
 * | `relay_shutting_down` | error event, then close 1001 | ends |
 * | `unknown_model` | HTTP 404 at upgrade | — |
 * | `invalid_request` | HTTP 400 at upgrade (no `model`, bad `conversation_id`) | — |
 * | `forbidden_origin` | HTTP 403 at upgrade: a web page (any `Origin`) opening the relay directly | — |
 * | `relay_full`, `relay_draining` | HTTP 503 at upgrade: the gateway tries another replica | — |
 */
export type RelayErrorCode =
  | 'invalid_json'
  | 'binary_frame_unsupported'
  | 'frame_too_large'
  | 'unknown_event_type'
  | 'invalid_event'
  | 'invalid_audio'
  | 'unsupported_event'
  | 'unsupported_session_option'
  | 'item_not_found'
  | 'invalid_value'
  | 'provider_not_ready'
  | 'provider_unavailable'
  | 'provider_disconnected'
  | 'provider_error'
  | 'session_expired'
  | 'idle_timeout'
  | 'client_too_slow'
  | 'relay_shutting_down';

/** A GA `error` event, serialised, ready to send. */
export function errorEvent(
  code: RelayErrorCode | string,
  message: string,
  options: { type?: string; causeEventId?: string | undefined; param?: string } = {},
): string {
  const event: RealtimeErrorEvent = {
    type: 'error',
    event_id: `event_relay_${randomUUID()}`,
    error: {
      type: options.type ?? 'invalid_request_error',
      code,
      message,
      param: options.param ?? null,
      event_id: options.causeEventId ?? null,
    },
  };
  return JSON.stringify(event);
}

/** HTTP refusals at upgrade time. */
export const UpgradeRefusal = {
  invalid_request: 400,
  unknown_model: 404,
  relay_full: 503,
  relay_draining: 503,
  not_found: 404,
  forbidden_origin: 403,
} as const;
export type UpgradeRefusalCode = keyof typeof UpgradeRefusal;
