import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { NatsConnection } from 'nats';
import { Type } from 'typebox';
import {
  createParser,
  ErrorBody,
  RealtimeCallAnswer,
  RealtimeCallRequest,
  RealtimeHangupAnswer,
  WebrtcLimits,
  WebrtcSubjects,
} from '@voxgate/protocol';
import { NatsRequestError, requestJson, ServiceError, type NatsHandle } from '@voxgate/service-kit';
import { gatherCatalogue } from '../../catalogue.js';
import { requireJson } from '../../chat-input.js';
import { errors } from '../../errors.js';
import { fromNatsFailure } from '../../nats-errors.js';
import { originAllowed } from '../../origin.js';

const requestParser = createParser(RealtimeCallRequest);
const answerParser = createParser(RealtimeCallAnswer);
const hangupParser = createParser(RealtimeHangupAnswer);
const Query = createParser(Type.Object({ model: Type.String({ minLength: 1, maxLength: 200 }) }));
const Params = createParser(Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' }) }));

/**
 * How long the gateway waits for session to set a call up: session asks OpenAI with its own
 * timeout (`OPENAI_REQUEST_TIMEOUT_MS`, 10 s by default) and answers first, so this only catches a
 * session that never answers. The usual NATS timeout is too short for a round to OpenAI.
 */
const CALL_TIMEOUT_MS = 15_000;
/** A body may carry the SDP and 10k characters of instructions, both escaped; more is not a call. */
const CALL_BODY_LIMIT_BYTES = 4 * WebrtcLimits.sdpBytes;
/** Whatever `navigator.sendBeacon` sends with a hang-up is read and dropped. */
const HANGUP_BODY_LIMIT_BYTES = 4 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The SDP problems a page most often has, each with its own code before the schema's first complaint. */
function checkSdp(body: unknown): void {
  const sdp = isRecord(body) ? body.sdp : undefined;
  if (typeof sdp !== 'string' || sdp.trim() === '') throw errors.invalid_sdp({ message: 'The body needs `sdp`: the SDP offer.' });
  if (Buffer.byteLength(sdp, 'utf8') > WebrtcLimits.sdpBytes) {
    throw errors.sdp_too_large({ message: `The SDP offer may have at most ${WebrtcLimits.sdpBytes} bytes.` });
  }
}

/**
 * Session answers `not_webrtc_model` for any model it does not call; whether the model exists at
 * all (a text model) or not (`unknown_model`) is only asked of the catalogue on that error path.
 */
async function refineModelError(
  error: ServiceError,
  model: string,
  { nc, log, requestId, timeoutMs }: { nc: NatsConnection; log: FastifyBaseLogger; requestId: string; timeoutMs: number },
): Promise<ServiceError> {
  if (error.code !== 'not_webrtc_model') return error;
  const catalogue = await gatherCatalogue(nc, log, { timeoutMs, requestId });
  if (catalogue.models.some((m) => m.id === model)) return error;
  return errors.unknown_model({ message: `No running service offers '${model}'.` });
}

/** Session's errors under the same code; `upstream_unavailable` keeps session's 502 or 503. */
function fromSession(error: unknown): unknown {
  if (error instanceof NatsRequestError && error.code === 'upstream_unavailable' && error.statusCode === 503) {
    return new ServiceError('upstream_unavailable', 503, error.message, { cause: error });
  }
  return fromNatsFailure(error);
}

/**
 * WebRTC calls for the page: `POST /api/realtime/calls?model=<id>` (`RealtimeCallRequest`) → 201
 * `RealtimeCallAnswer`, and `POST /api/realtime/calls/:id/hangup` → `{ hungUp: true }`. The SDP
 * exchange itself is session's, with the server key; only the answer comes back. Same-origin only.
 */
export async function realtimeCallsRoute(
  app: FastifyInstance,
  options: { nats: NatsHandle; timeoutMs: number; allowedOrigins: readonly string[] },
): Promise<void> {
  const replies = { '4xx': ErrorBody, '5xx': ErrorBody };
  app.addHook('onRequest', async (request) => {
    if (!originAllowed(request.raw, options.allowedOrigins)) {
      throw errors.forbidden_origin({ message: 'This origin may not set up calls here.' });
    }
  });
  const ask = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw fromSession(error);
    }
  };

  app.post(
    '/realtime/calls',
    { bodyLimit: CALL_BODY_LIMIT_BYTES, schema: { response: { 201: RealtimeCallAnswer, ...replies } } },
    async (request, reply) => {
      const query = Query.parse(request.query);
      if (!query.ok) throw errors.invalid_request({ message: 'The `model` query parameter is required.' });
      const model = query.value.model;
      requireJson(request.headers['content-type']);
      checkSdp(request.body);
      const parsed = requestParser.parse(request.body);
      if (!parsed.ok) throw errors.invalid_request({ message: `Invalid call request at ${parsed.error}` });
      let answer: RealtimeCallAnswer;
      try {
        answer = await ask(() =>
          requestJson(options.nats.nc, WebrtcSubjects.createCall, { model, ...parsed.value }, {
            response: answerParser,
            timeoutMs: CALL_TIMEOUT_MS,
            requestId: request.id,
          }),
        );
      } catch (error) {
        throw error instanceof ServiceError ? await refineModelError(error, model, { nc: options.nats.nc, log: request.log, requestId: request.id, timeoutMs: options.timeoutMs }) : error;
      }
      request.log.info({ callId: answer.callId, conversationId: answer.conversationId, model }, 'call set up');
      return reply.code(201).send(answer);
    },
  );

  await app.register(async (hangup) => {
    // `navigator.sendBeacon` picks its own content type (or none); the hang-up reads no body.
    hangup.removeAllContentTypeParsers();
    hangup.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: HANGUP_BODY_LIMIT_BYTES }, (_request, _body, done) => done(null, undefined));
    hangup.post('/realtime/calls/:id/hangup', { schema: { response: { 200: RealtimeHangupAnswer, ...replies } } }, async (request) => {
      const params = Params.parse(request.params);
      if (!params.ok) throw errors.call_not_found();
      const callId = params.value.id;
      const answer = await ask(() =>
        requestJson(options.nats.nc, WebrtcSubjects.hangup, { callId }, { response: hangupParser, timeoutMs: CALL_TIMEOUT_MS, requestId: request.id }),
      );
      request.log.info({ callId }, 'call hung up');
      return answer;
    });
  });
}
