import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { createParser, ErrorBody, StopTurnReply, Subjects, TurnChunks } from '@voxgate/protocol';
import { NatsRequestError, requestJson, type NatsHandle } from '@voxgate/service-kit';
import { errors } from '../../errors.js';
import { fromNatsFailure } from '../../nats-errors.js';
import { isTerminal } from '../../turn-reader.js';
import { streamTurn, type TurnStreamDeps } from '../../turn-stream.js';

const TurnParams = createParser(Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }));
const SEQ = /^(0|[1-9][0-9]{0,8})$/;
const stopReplyParser = createParser(StopTurnReply);

/** The turn id from the path; an id that cannot exist is simply an unknown turn. */
function turnId(params: unknown): string {
  const parsed = TurnParams.parse(params);
  if (!parsed.ok) throw errors.turn_not_found();
  return parsed.value.id;
}

/** A chunk number from `?after=` or `Last-Event-ID`; absent means from the start. */
function afterSeq(value: unknown, what: string): number {
  if (value === undefined || value === '') return 0;
  if (typeof value !== 'string' || !SEQ.test(value.trim())) {
    throw errors.invalid_request({ message: `${what} must be a chunk number (a non-negative integer).` });
  }
  return Number(value.trim());
}

/**
 * `GET /api/turns/:id?after=N` → `TurnChunks` (polling and resume);
 * `GET /api/turns/:id/stream` → SSE from after `Last-Event-ID` (or `?after=`);
 * `POST /api/turns/:id/stop` → `{ stopped: true }`, 409 when no service runs the turn.
 */
export async function turnsRoute(app: FastifyInstance, options: TurnStreamDeps & { nats: NatsHandle; timeoutMs: number }): Promise<void> {
  app.get('/turns/:id', { schema: { response: { 200: TurnChunks, '4xx': ErrorBody } } }, async (request) => {
    const id = turnId(request.params);
    const after = afterSeq((request.query as Record<string, unknown>).after, 'after');
    const chunks = await options.reader.read(id, after);
    if (!chunks) throw errors.turn_not_found();
    return chunks;
  });

  app.get('/turns/:id/stream', async (request, reply) => {
    const id = turnId(request.params);
    const header = request.headers['last-event-id'];
    const after =
      header !== undefined
        ? afterSeq(Array.isArray(header) ? header[0] : header, 'Last-Event-ID')
        : afterSeq((request.query as Record<string, unknown>).after, 'after');
    // Refuse an unknown turn with a plain 404 rather than a stream that never says anything.
    if (!(await options.reader.last(id))) throw errors.turn_not_found();
    await streamTurn(request, reply, options, { turnId: id, afterSeq: after });
    return reply;
  });

  app.post('/turns/:id/stop', { schema: { response: { 200: StopTurnReply, '4xx': ErrorBody, '5xx': ErrorBody } } }, async (request) => {
    const id = turnId(request.params);
    // llm-text replicas ignore a stop for a turn they do not run, so asking about a turn that never
    // was or has ended would only time out (504); the stream already says which it is.
    const last = await options.reader.last(id);
    if (!last) throw errors.turn_not_found();
    if (isTerminal(last)) throw errors.turn_not_running();
    let answer: StopTurnReply;
    try {
      answer = await requestJson(options.nats.nc, Subjects.chatStop(id), {}, {
        response: stopReplyParser,
        timeoutMs: options.timeoutMs,
        requestId: request.id,
      });
    } catch (error) {
      // Only the replica running the turn listens for its stop; nobody there means it has ended.
      if (error instanceof NatsRequestError && error.failure === 'no_responders') throw errors.turn_not_running();
      throw fromNatsFailure(error);
    }
    if (!answer.stopped) throw errors.turn_not_running();
    request.log.info({ turnId: id }, 'turn stopped');
    return answer;
  });
}
