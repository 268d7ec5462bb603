import type { FastifyBaseLogger } from 'fastify';
import { JSONCodec, type NatsConnection, type Subscription } from 'nats';
import { Subjects, type StopTurnReply } from '@voxgate/protocol';
import type { TurnRunner } from './turns.js';

const json = JSONCodec<StopTurnReply>();

/**
 * Stop requests reach every replica (a plain subscription, no queue group); only the one running
 * the turn answers, so the requester's first reply is the real one and others stay silent.
 */
export function serveStop(nc: NatsConnection, runner: TurnRunner, log: FastifyBaseLogger): Subscription {
  return nc.subscribe(Subjects.chatStopWildcard, {
    callback: (err, msg) => {
      if (err) {
        log.error({ err }, 'stop subscription failed');
        return;
      }
      const turnId = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
      if (!runner.stop(turnId)) return;
      log.info({ turnId }, 'turn stopped by request');
      msg.respond(json.encode({ stopped: true }));
    },
  });
}
