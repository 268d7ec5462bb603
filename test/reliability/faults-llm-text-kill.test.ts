import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { createParser, GatewayStatus } from '@voxgate/protocol';
import { waitFor } from '../helpers/ports.js';
import { CLIENT_LIMITS_OFF } from '../helpers/limits.js';
import { recordReliability } from '../helpers/reliability.js';
import { startReplica } from '../helpers/replicas.js';
import { startStack } from '../helpers/stack.js';
import { type StreamedTurn, streamChat, turnState } from '../helpers/turns.js';

// An llm-text replica killed (SIGKILL) mid-answer while a second one runs.

const MODEL = 'gpt-4o-mini';
/**
 * 2,000 tokens at 40 ms (80 s): the answer is still streaming when its owner is killed, however
 * long a busy machine takes to start the survivor first.
 */
const LONG_ASK = '[sim:tokens=2000] a long answer please';
/** Past this the turn counts as hung; a user would have given up long before. */
const HANG_MS = 30_000;
const NEXT_TURNS = 5;

const stack = await startStack({ env: { ...CLIENT_LIMITS_OFF, SIM_TOKEN_DELAY_MS: '40' } });
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;
const statusParser = createParser(GatewayStatus);

async function llmTextInstances(): Promise<number> {
  const parsed = statusParser.parse(await (await fetch(`${base}/readyz`)).json());
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value.services.find((s) => s.name === 'llm-text')?.instances.length ?? 0;
}

t.test('the owner of a streaming turn is killed: the turn ends with a clear error, the survivor serves the next turns', async (t) => {
  // The turn starts while the stack's llm-text is the only one, so it is the owner; then a survivor joins.
  let firstDelta: () => void = () => {};
  const streaming = new Promise<void>((resolve) => (firstDelta = resolve));
  const turn = streamChat(base, MODEL, LONG_ASK, { onFirstDelta: () => firstDelta() });
  await streaming;
  const survivor = await startReplica(stack, 'llm-text', 'llm-text-2');
  t.teardown(() => survivor.proc.stop());
  await waitFor('two llm-text instances', async () => ((await llmTextInstances()) === 2 ? true : undefined), { timeoutMs: 20_000 });

  const killedAt = Date.now();
  await stack.killService('llm-text');
  const hung = Symbol('hung');
  const outcome = await Promise.race([turn, sleep(HANG_MS, hung)]);
  t.not(outcome, hung, `the stream ended within ${HANG_MS} ms of the kill`);
  const streamed = outcome === hung ? undefined : (outcome as StreamedTurn);
  const endedMs = Date.now() - killedAt;
  t.ok(streamed && streamed.end !== 'cut', 'not a silent cut');
  t.ok(streamed && (streamed.end === 'error' || streamed.end === 'delivery_error'), `ended with an error (${streamed?.end} ${streamed?.code})`);
  t.equal(streamed?.retryable, true, 'which says it can be tried again');
  const polled = streamed ? await turnState(base, streamed.turnId) : undefined;
  t.equal(polled?.finished, true, 'polling sees the turn ended too');
  t.has(polled?.last, { type: 'error', retryable: true }, 'with an error chunk');

  const next = await Promise.all(Array.from({ length: NEXT_TURNS }, (_, i) => streamChat(base, MODEL, `after the crash ${i}`)));
  const served = next.filter((n) => n.end === 'done').length;
  t.equal(served, NEXT_TURNS, 'every next turn is answered by the survivor');
  // Its log lines come through a pipe and may trail the answers by a moment.
  const survivorEnded = await waitFor('the survivor logging a turn', () => (survivor.logs.some((line) => line.includes('"turn ended"')) ? true : undefined), {
    timeoutMs: 5_000,
  }).catch(() => false);
  t.ok(survivorEnded, 'by the survivor');

  await recordReliability({
    id: 'faults/llm-text-kill',
    section: 'faults',
    title: 'An llm-text replica killed with SIGKILL mid-answer while a second replica runs',
    figures: {
      turnsInFlight: 1,
      turnEndedWithErrorMs: endedMs,
      turnEnd: `${streamed?.end ?? 'hung'}:${streamed?.code ?? ''}`,
      nextTurns: NEXT_TURNS,
      nextTurnsServedBySurvivor: served,
    },
    passed: !t.counts.fail,
  });
});
