import { defineErrors } from '@voxgate/service-kit';

/**
 * Every code llm-text answers with, over NATS replies and in `error` chunks. Upstream codes end a
 * turn; the others refuse a request before it starts.
 */
export const errors = defineErrors({
  unknown_model: { statusCode: 404, message: 'This model is not offered by llm-text.' },
  unsupported_input: { statusCode: 400, message: 'This model cannot take this kind of input.' },
  invalid_request: { statusCode: 400, message: 'The request is not valid.' },
  attachment_not_found: { statusCode: 404, message: 'An attachment of this message does not exist.' },
  conversation_not_found: { statusCode: 404, message: 'No conversation with this id.' },
  nothing_to_regenerate: { statusCode: 409, message: 'The conversation has no user message to answer again.' },
  upstream_rate_limited: { statusCode: 429, message: 'The provider is rate-limiting requests; try again shortly.' },
  upstream_unavailable: { statusCode: 502, message: 'The provider is unavailable.' },
  upstream_timeout: { statusCode: 504, message: 'The provider did not answer in time.' },
  upstream_rejected: { statusCode: 502, message: 'The provider refused the request.' },
  upstream_error: { statusCode: 502, message: 'The provider failed.' },
  transcription_failed: { statusCode: 502, message: 'The voice message could not be transcribed.' },
});

export type ErrorCode = keyof typeof errors;
