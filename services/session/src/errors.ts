import { defineErrors, ServiceError } from '@voxgate/service-kit';

/**
 * Every error code the session service answers with over NATS. The gateway passes each on under
 * the same code (its own catalogue lists them); `message` is for people and never carries a key.
 */
export const errors = defineErrors({
  invalid_sdp: { statusCode: 400, message: 'The SDP offer is empty or not a WebRTC offer with media.' },
  sdp_too_large: { statusCode: 413, message: 'The SDP offer is larger than the limit.' },
  not_webrtc_model: { statusCode: 400, message: 'This model cannot be called over WebRTC; only OpenAI realtime models can.' },
  model_not_allowed: { statusCode: 400, message: 'Client secrets are issued only for the OpenAI realtime models this server offers.' },
  call_not_found: { statusCode: 404, message: 'No live call with this id.' },
  too_many_calls: { statusCode: 503, message: 'This server follows as many calls as it may; try again shortly.' },
  /** OpenAI found the request wrong (4xx but 401, 403, 429): its own message is passed on, it names the cause. */
  upstream_rejected: { statusCode: 400, message: 'OpenAI refused the request.' },
  /** OpenAI refused this server's key or account (401, 403): the operator's to mend. */
  upstream_unauthorized: { statusCode: 502, message: "OpenAI refused this server's credentials." },
  /** OpenAI's rate limit or quota (429). */
  upstream_rate_limited: { statusCode: 429, message: 'OpenAI is rate-limiting requests; try again shortly.' },
  /** OpenAI answered 5xx or something that is not what it promises. */
  upstream_unavailable: { statusCode: 502, message: 'OpenAI is unavailable.' },
});

/** OpenAI could not be reached at all (connection refused, proxy down, timeout): same code, 503. */
export function upstreamUnreachable(cause: unknown, message = 'OpenAI could not be reached.'): ServiceError {
  return new ServiceError('upstream_unavailable', 503, message, { cause });
}
