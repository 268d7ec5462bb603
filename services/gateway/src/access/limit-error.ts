import { ServiceError } from '@voxgate/service-kit';

/** A refusal that says when to try again: sent as `Retry-After` on HTTP answers and refused upgrades. */
export class LimitError extends ServiceError {
  constructor(
    error: ServiceError,
    readonly retryAfterS: number,
  ) {
    super(error.code, error.statusCode, error.message);
  }
}
