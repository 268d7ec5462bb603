import { createParser, Subjects, TurnStarted, type StartTurn } from '@voxgate/protocol';
import { requestJson, type Requester } from '@voxgate/service-kit';
import { turnStarted } from './access/turn-started.js';
import { fromNatsFailure } from './nats-errors.js';

const turnStartedParser = createParser(TurnStarted);

/**
 * Asks llm-text to start a turn. The answer means the turn is accepted: its chunks are (or soon
 * will be) in JetStream under `Subjects.turn(turnId)`. A refusal becomes the gateway's error.
 */
export async function startTurn(
  nc: Requester,
  start: StartTurn,
  options: { timeoutMs: number; requestId: string },
): Promise<TurnStarted> {
  try {
    const started = await requestJson(nc, Subjects.chatStart, start, { response: turnStartedParser, ...options });
    turnStarted(options.requestId, start.turnId);
    return started;
  } catch (error) {
    throw fromNatsFailure(error);
  }
}
