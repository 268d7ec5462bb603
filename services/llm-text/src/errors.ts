import { defineErrors, TURN_ERRORS, UPSTREAM_ERRORS } from '@voxgate/service-kit';

/**
 * Every code llm-text answers with, over NATS replies and in `error` chunks. Upstream codes end a
 * turn; the others refuse a request before it starts.
 */
export const errors = defineErrors({
  unknown_model: { statusCode: 404, message: 'This model is not offered by llm-text.' },
  unsupported_input: { statusCode: 400, message: 'This model cannot take this kind of input.' },
  unsupported_option: { statusCode: 400, message: "This model's provider does not take this option." },
  invalid_request: { statusCode: 400, message: 'The request is not valid.' },
  attachment_not_found: { statusCode: 404, message: 'An attachment of this message does not exist.' },
  conversation_not_found: { statusCode: 404, message: 'No conversation with this id.' },
  nothing_to_regenerate: { statusCode: 409, message: 'The conversation has no user message to answer again.' },
  ...UPSTREAM_ERRORS,
  ...TURN_ERRORS,
});

export type ErrorCode = keyof typeof errors;
