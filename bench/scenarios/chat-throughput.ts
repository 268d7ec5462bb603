import { gatewayV1Client, sdkTurn, simulatorClient, type TurnResult } from '../lib/chat.js';
import { alternating, type Figure, type RunContext, type Scenario } from '../lib/scenario.js';
import { withStack } from '../lib/stack.js';
import { median } from '../lib/stats.js';

/**
 * A 4,000-token answer streamed at full speed (the simulator sends one token per chunk with no
 * pause), read through the same `openai` SDK client code on both sides: directly from the
 * simulator, and from the gateway's `/v1/chat/completions`, which relays it through NATS and
 * llm-text. Rounds alternate; the figure is the median over rounds. Issue 3, "Speed".
 */

const TOKENS = 4_000;
/** The simulator's directive for an answer of exactly this many tokens. */
const PROMPT = `Write at length. [sim:tokens=${TOKENS}]`;

type Side = 'direct' | 'chain';

async function measure(context: RunContext, gatewayUrl: string, simulatorUrl: string) {
  const settings = { tokens: TOKENS, maxTokens: TOKENS, warmupRounds: context.quick ? 1 : 5, rounds: context.quick ? 2 : 12 };
  const clients = { direct: simulatorClient(simulatorUrl), chain: gatewayV1Client(gatewayUrl) };
  const rounds: { side: Side; tokensPerSec: number; totalMs: number }[] = [];
  let reference: string | undefined;
  const check = (side: Side, result: TurnResult) => {
    // The same text on both sides is what says the chain lost or reordered nothing.
    reference ??= result.text;
    if (!result.done || result.text !== reference) {
      throw new Error(`${side}: the answer ended ${result.done ? 'finished' : 'unfinished'} with ${result.text.length} characters, not the ${reference.length} expected`);
    }
  };
  for (let round = 0; round < settings.warmupRounds + settings.rounds; round++) {
    for (const side of alternating<Side>(round, ['direct', 'chain'])) {
      const result = await sdkTurn(clients[side], PROMPT, settings.maxTokens);
      check(side, result);
      if (round < settings.warmupRounds) continue;
      const tokensPerSec = TOKENS / (result.totalMs / 1000);
      rounds.push({ side, tokensPerSec, totalMs: result.totalMs });
      context.progress(`round ${round - settings.warmupRounds + 1}/${settings.rounds} ${side}: ${Math.round(tokensPerSec)} tokens/s`);
    }
  }
  const over = (side: Side, key: 'tokensPerSec' | 'totalMs') => median(rounds.filter((r) => r.side === side).map((r) => r[key]));
  const figures: Figure[] = [
    {
      metric: `${TOKENS}-token answer`,
      unit: 'tokens/s',
      better: 'higher',
      baseline: over('direct', 'tokensPerSec'),
      ours: over('chain', 'tokensPerSec'),
      goal: { of: 'ratio', atLeast: 0.9, source: 'issue 3, Speed' },
    },
    { metric: `${TOKENS}-token answer time`, unit: 'ms', better: 'lower', baseline: over('direct', 'totalMs'), ours: over('chain', 'totalMs') },
  ];
  return { figures, settings, rounds };
}

export const chatThroughput: Scenario = {
  name: 'chat-throughput',
  summary: 'a 4,000-token answer streamed at full speed, read with the openai SDK, sides alternating',
  baseline: 'openai SDK → simulator',
  ours: 'openai SDK → gateway /v1/chat/completions → NATS → llm-text → simulator',
  run: (context) => withStack({}, (stack) => measure(context, stack.gatewayUrl, stack.simulatorUrl ?? '')),
};
