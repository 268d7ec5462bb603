import { JSONCodec, type NatsConnection, type Service, type ServiceMsg } from 'nats';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { Headers, type Parser } from '@voxgate/protocol';
import { ServiceError } from './errors.js';

const json = JSONCodec();

export interface ServiceIdentity {
  /** One of `ServiceName`: what `$SRV.PING.<name>` answers to. */
  name: string;
  version: string;
  description: string;
  /** Strings only (the services API's rule); e.g. a relay's WebSocket address. */
  metadata?: Record<string, string>;
}

/**
 * Registers the process with the NATS services API, which answers `$SRV.PING`, `$SRV.INFO` and
 * `$SRV.STATS` for it, and re-subscribes by itself after a reconnect.
 */
export function registerService(nc: NatsConnection, identity: ServiceIdentity): Promise<Service> {
  return nc.services.add({
    name: identity.name,
    version: identity.version,
    description: identity.description,
    metadata: identity.metadata ?? {},
  });
}

export interface JsonEndpoint<Req extends TSchema, Res extends TSchema> {
  /** Endpoint name as `$SRV.INFO` lists it. */
  name: string;
  subject: string;
  request: Parser<Req>;
  handler: (request: Static<Req>, context: { requestId: string | undefined; log: Logger }) => Promise<Static<Res>>;
}

/**
 * Adds a request/reply endpoint whose payloads are JSON: the request is parsed against its schema
 * at this boundary (a bad one is answered with a 400 service error), the handler's result is sent
 * as JSON, and a `ServiceError` becomes the `Nats-Service-Error(-Code)` headers the caller maps back.
 */
export function addJsonEndpoint<Req extends TSchema, Res extends TSchema>(
  service: Service,
  log: Logger,
  endpoint: JsonEndpoint<Req, Res>,
): void {
  service.addEndpoint(endpoint.name, {
    subject: endpoint.subject,
    handler: (err, msg) => {
      if (err) {
        log.error({ err, endpoint: endpoint.name }, 'NATS endpoint stopped');
        return;
      }
      void answer(msg, endpoint, log);
    },
  });
}

async function answer<Req extends TSchema, Res extends TSchema>(
  msg: ServiceMsg,
  endpoint: JsonEndpoint<Req, Res>,
  log: Logger,
): Promise<void> {
  const requestId = msg.headers?.get(Headers.requestId) || undefined;
  const child = log.child({ reqId: requestId, endpoint: endpoint.name });
  let body: unknown;
  try {
    body = msg.data.length === 0 ? {} : json.decode(msg.data);
  } catch {
    msg.respondError(400, 'invalid_request: payload is not JSON');
    return;
  }
  const parsed = endpoint.request.parse(body);
  if (!parsed.ok) {
    msg.respondError(400, `invalid_request: ${parsed.error}`);
    return;
  }
  try {
    msg.respond(json.encode(await endpoint.handler(parsed.value, { requestId, log: child })));
  } catch (error) {
    if (error instanceof ServiceError) {
      msg.respondError(error.statusCode, `${error.code}: ${error.message}`);
    } else {
      child.error({ err: error }, 'NATS endpoint handler failed');
      msg.respondError(500, 'internal_error: the service failed; see its logs');
    }
  }
}
