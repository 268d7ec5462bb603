import { NatsRequestError, type ServiceError } from '@voxgate/service-kit';
import { errors, isGatewayErrorCode } from './errors.js';

/**
 * What a failed request to a service behind the gateway means for the client. A service's own
 * code is passed on when the gateway's catalogue knows it (with the service's message, which it
 * wrote to be shown); otherwise the status class decides, so nothing unlisted leaks out.
 */
export function fromNatsFailure(error: unknown): ServiceError | unknown {
  if (!(error instanceof NatsRequestError)) return error;
  switch (error.failure) {
    case 'no_responders':
      return errors.service_unavailable({ cause: error });
    case 'timeout':
      return errors.service_timeout({ cause: error });
    case 'invalid_response':
      return errors.bad_gateway({ cause: error });
    case 'service_error': {
      const code = error.code ?? '';
      const message = error.message.trim() === '' ? undefined : error.message;
      if (isGatewayErrorCode(code)) return errors[code]({ cause: error, ...(message === undefined ? {} : { message }) });
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) return errors.invalid_request({ cause: error, ...(message === undefined ? {} : { message }) });
      return errors.bad_gateway({ cause: error });
    }
  }
}
