import { ErrorCode, JSONCodec, headers as natsHeaders, type Msg, type NatsConnection, type NatsError } from 'nats';
import type { Static, TSchema } from 'typebox';
import { Headers, type Parser } from '@voxgate/protocol';
import { ReplyInbox } from './reply-inbox.js';

const json = JSONCodec();

/** Why a request over NATS produced no usable answer. */
export type NatsRequestFailure =
  | 'no_responders' // nobody subscribes: the service is not running
  | 'timeout' // somebody subscribes but did not answer in time
  | 'service_error' // the service answered with an error (code and message from its headers)
  | 'invalid_response'; // the answer did not match the schema

export class NatsRequestError extends Error {
  override readonly name = 'NatsRequestError';
  constructor(
    readonly failure: NatsRequestFailure,
    message: string,
    /** For `service_error`: the status the service chose and its error code. */
    readonly statusCode?: number,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RequestOptions<Res extends TSchema> {
  response: Parser<Res>;
  timeoutMs: number;
  /** Carried in the `Voxgate-Request-Id` header so the service logs under the same id. */
  requestId?: string | undefined;
}

/** What sends a request: a connection (or anything that requests as one does), or a shared reply inbox. */
export type Requester = Pick<NatsConnection, 'request'> | ReplyInbox;

/** Sends `body` as JSON to `subject` and parses the reply at this boundary. */
export async function requestJson<Res extends TSchema>(
  nc: Requester,
  subject: string,
  body: unknown,
  options: RequestOptions<Res>,
): Promise<Static<Res>> {
  const h = natsHeaders();
  if (options.requestId) h.set(Headers.requestId, options.requestId);
  let reply: Msg;
  try {
    const data = json.encode(body);
    reply = await (nc instanceof ReplyInbox
      ? nc.request(subject, data, { timeoutMs: options.timeoutMs, headers: h })
      : nc.request(subject, data, { timeout: options.timeoutMs, headers: h }));
  } catch (error) {
    const code = (error as NatsError).code;
    if (code === ErrorCode.NoResponders) {
      throw new NatsRequestError('no_responders', `no service answers ${subject}`, undefined, undefined, { cause: error });
    }
    if (code === ErrorCode.Timeout) {
      throw new NatsRequestError('timeout', `${subject} did not answer within ${options.timeoutMs} ms`, undefined, undefined, {
        cause: error,
      });
    }
    throw error;
  }
  const errorCode = reply.headers?.get('Nats-Service-Error-Code');
  if (errorCode) {
    const description = reply.headers?.get('Nats-Service-Error') ?? '';
    const separator = description.indexOf(': ');
    const code = separator > 0 ? description.slice(0, separator) : 'service_error';
    const message = separator > 0 ? description.slice(separator + 2) : description;
    throw new NatsRequestError('service_error', message, Number(errorCode), code);
  }
  let data: unknown;
  try {
    data = json.decode(reply.data);
  } catch (error) {
    throw new NatsRequestError('invalid_response', `${subject} answered with something that is not JSON`, undefined, undefined, {
      cause: error,
    });
  }
  const parsed = options.response.parse(data);
  if (!parsed.ok) throw new NatsRequestError('invalid_response', `${subject} answered off-schema: ${parsed.error}`);
  return parsed.value;
}
