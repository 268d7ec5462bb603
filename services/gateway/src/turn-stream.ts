import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody, TurnChunk, TurnStarted } from '@voxgate/protocol';
import type { ServiceError } from '@voxgate/service-kit';
import { errors } from './errors.js';
import type { LiveConnections } from './live-connections.js';
import { SseWriter } from './sse.js';
import type { FollowEnd, TurnReader, TurnWatch } from './turn-reader.js';

/**
 * Longest silence on a turn before the gateway stops waiting for it. llm-text ends every turn
 * within its own deadline, so reaching this means its owner died; the client can still poll.
 */
export const TURN_IDLE_MS = 6 * 60_000;

export interface TurnStreamDeps {
  reader: TurnReader;
  live: LiveConnections;
}

/**
 * Streams a turn over SSE on this request: `turn` (when just started), then every chunk after
 * `afterSeq` (or, through `watch`, every chunk of a turn watched since before its start) as
 * `chunk` with `id: <seq>` (what `Last-Event-ID` resumes from), until `done` or `error`. The
 * client leaving stops only this delivery, never the turn. When the delivery itself fails
 * (shutdown, NATS, a silent turn) a `delivery_error` event says so; the turn may go on, and
 * polling it catches up.
 */
export async function streamTurn(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: TurnStreamDeps,
  turn: { turnId: string; afterSeq: number; started?: TurnStarted; watch?: TurnWatch },
): Promise<void> {
  reply.hijack();
  const sse = new SseWriter(reply.raw);
  const { abort, release } = abortOnClose(reply.raw);
  const untrack = deps.live.add({
    close: () => {
      sse.send('delivery_error', eventBody(errors.shutting_down(), request.id));
      sse.end();
      abort.abort();
    },
  });
  if (turn.started) sse.send('turn', turn.started);
  else sse.flush();
  let end: FollowEnd | 'failed' = 'aborted';
  try {
    const options = { signal: abort.signal, idleMs: TURN_IDLE_MS, onChunk: (chunk: TurnChunk) => sse.send('chunk', chunk, chunk.seq) };
    end = await (turn.watch ? turn.watch.follow(options) : deps.reader.follow(turn.turnId, turn.afterSeq, options));
    if (end === 'idle') {
      sse.send('delivery_error', eventBody(errors.turn_stalled(), request.id));
    }
  } catch (error) {
    end = 'failed';
    request.log.error({ err: error, turnId: turn.turnId }, 'following the turn failed');
    sse.send('delivery_error', eventBody(errors.delivery_failed(), request.id));
  } finally {
    release();
    untrack();
    sse.end();
    request.log.info({ turnId: turn.turnId, end, statusCode: 200 }, 'turn stream ended');
  }
}

/**
 * A controller aborted when the client goes away, until `release` is called once delivery is
 * over: the close that follows every finished stream would otherwise abort it too, and an abort
 * without a reason builds a DOMException with its stack each time.
 */
export function abortOnClose(raw: ServerResponse): { abort: AbortController; release: () => void } {
  const abort = new AbortController();
  const onClose = () => abort.abort();
  raw.once('close', onClose);
  return { abort, release: () => raw.off('close', onClose) };
}

/** The error shape of the HTTP API, as the data of a `delivery_error` event. */
function eventBody(error: ServiceError, requestId: string): ErrorBody {
  return { error: { code: error.code, message: error.message, requestId } };
}
