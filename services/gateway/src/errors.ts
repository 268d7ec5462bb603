import { defineErrors, TURN_ERRORS, UPSTREAM_ERRORS } from '@voxgate/service-kit';

/** Every error code the gateway answers with. Clients match on `code`; `message` is for people. */
export const errors = defineErrors({
  service_unavailable: { statusCode: 503, message: 'A service behind the gateway is not running.' },
  service_timeout: { statusCode: 504, message: 'A service behind the gateway did not answer in time.' },
  bad_gateway: { statusCode: 502, message: 'A service behind the gateway answered with something unexpected.' },

  // Refused at the gateway, before anything reaches a service.
  invalid_request: { statusCode: 400, message: 'The request is not valid.' },
  invalid_frame: { statusCode: 400, message: 'The WebSocket frame is not a valid event.' },
  frame_too_large: { statusCode: 413, message: 'The WebSocket frame is larger than the limit.' },
  invalid_json: { statusCode: 400, message: 'The body is not valid JSON.' },
  unsupported_media_type: { statusCode: 415, message: 'This content type is not accepted here.' },
  empty_message: { statusCode: 400, message: 'The message has no text, image or audio.' },
  // /v1 fields whose meaning the gateway cannot deliver (function calling, log-probabilities, spoken output).
  unsupported_parameter: { statusCode: 400, message: 'This parameter is not supported.' },
  too_many_parts: { statusCode: 400, message: 'The message has too many parts.' },
  too_many_messages: { statusCode: 400, message: 'The request has too many messages.' },
  text_too_long: { statusCode: 400, message: 'A text part is too long.' },
  attachment_too_large: { statusCode: 413, message: 'The file is larger than the limit for its kind.' },
  invalid_image: { statusCode: 415, message: 'The file is not a PNG, JPEG, WebP or GIF image.' },
  invalid_audio: { statusCode: 415, message: 'The file is not a WAV, WebM, Ogg, MP3, MP4/M4A, AAC or FLAC recording.' },
  attachment_not_found: { statusCode: 404, message: 'No attachment with this id.' },
  // ATTACHMENTS_MAX_MB is reached: nothing more is stored until conversations are deleted or the sweep frees space.
  attachment_store_full: { statusCode: 507, message: 'The attachment store is full.' },
  turn_not_found: { statusCode: 404, message: 'No turn with this id (or it has expired).' },
  turn_not_running: { statusCode: 409, message: 'This turn is not running, so it cannot be stopped.' },
  turn_stalled: { statusCode: 504, message: 'The turn stopped producing chunks; poll it to see how it ended.' },
  delivery_failed: { statusCode: 503, message: 'Delivery of this turn failed; poll it to catch up.' },
  shutting_down: { statusCode: 503, message: 'The gateway is restarting; poll the turn or reconnect to resume.' },
  forbidden_origin: { statusCode: 403, message: 'This origin may not open the gateway WebSocket.' },
  unauthorized: { statusCode: 401, message: 'A valid API key is required: send Authorization: Bearer <key>.' },
  loopback_only: { statusCode: 403, message: 'No API_KEYS are configured, so /v1 answers loopback clients only.' },
  not_realtime_model: { statusCode: 400, message: 'This model is not a realtime model; use the chat API for it.' },
  not_found: { statusCode: 404, message: 'No WebSocket endpoint here.' },

  // Access: the page's password, per-client limits and the deployment's daily budgets (429s carry Retry-After).
  login_required: { statusCode: 401, message: 'This Voxgate is closed with a password: log in at /login first.' },
  rate_limited: { statusCode: 429, message: 'Too many requests from this client; slow down.' },
  too_many_sessions: { statusCode: 429, message: 'This client has as many realtime sessions open as it may; close one first.' },
  client_tokens_spent: { statusCode: 429, message: "This client's tokens for today are used up; the allowance resets at 00:00 UTC." },
  client_realtime_spent: { statusCode: 429, message: "This client's realtime minutes for today are used up; they reset at 00:00 UTC." },
  daily_token_budget_spent: { statusCode: 429, message: "This server's token budget for today is spent; it resets at 00:00 UTC." },
  daily_realtime_budget_spent: { statusCode: 429, message: "This server's realtime minutes for today are spent; they reset at 00:00 UTC." },

  // Realtime WebSockets, refused at upgrade before a relay takes them.
  no_relay: { statusCode: 503, message: 'No realtime relay is taking new sessions right now; try again shortly.' },
  // Piped realtime WebSockets whose relay vanished without closing them (sent as a GA error event before a 1014 close).
  relay_lost: { statusCode: 502, message: 'The voice relay stopped; reconnect to continue.' },

  // Answered by llm-text and passed on under the same code.
  unknown_model: { statusCode: 404, message: 'No running service offers this model.' },
  unsupported_input: { statusCode: 400, message: 'This model cannot take this kind of input.' },
  unsupported_option: { statusCode: 400, message: "This model's provider does not take this option." },
  conversation_not_found: { statusCode: 404, message: 'No conversation with this id.' },
  nothing_to_regenerate: { statusCode: 409, message: 'The conversation has no user message to answer again.' },
  ...UPSTREAM_ERRORS,
  ...TURN_ERRORS,

  // WebRTC calls and client secrets, answered by session and passed on under the same code.
  invalid_sdp: { statusCode: 400, message: 'The SDP offer is empty or not a WebRTC offer with media.' },
  sdp_too_large: { statusCode: 413, message: 'The SDP offer is larger than the limit.' },
  not_webrtc_model: { statusCode: 400, message: 'This model cannot be called over WebRTC; only OpenAI realtime models can.' },
  model_not_allowed: { statusCode: 400, message: 'Client secrets are issued only for the OpenAI realtime models this server offers.' },
  call_not_found: { statusCode: 404, message: 'No live call with this id.' },
  too_many_calls: { statusCode: 503, message: 'The server follows as many calls as it may; try again shortly.' },
});

export type GatewayErrorCode = keyof typeof errors;

export function isGatewayErrorCode(code: string): code is GatewayErrorCode {
  return Object.hasOwn(errors, code);
}
