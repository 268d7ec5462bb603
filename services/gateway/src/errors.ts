import { defineErrors } from '@voxgate/service-kit';

/** Every error code the gateway answers with. Clients match on `code`; `message` is for people. */
export const errors = defineErrors({
  service_unavailable: { statusCode: 503, message: 'A service behind the gateway is not running.' },
  service_timeout: { statusCode: 504, message: 'A service behind the gateway did not answer in time.' },
  bad_gateway: { statusCode: 502, message: 'A service behind the gateway answered with something unexpected.' },
});
