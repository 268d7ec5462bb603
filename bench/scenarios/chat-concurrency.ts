import { apiChatTurn, sdkTurn, simulatorClient, type TurnResult } from '../lib/chat.js';
import { alternating, type Figure, type RunContext, type Scenario } from '../lib/scenario.js';
import { withStack } from '../lib/stack.js';
import { median, percentile } from '../lib/stats.js';

/**
 * 100 streaming turns started at once: the `openai` SDK at the simulator directly, against
 * `POST /api/chat` (SSE) through the chain. Every turn has its own prompt, so its answer (which
 * quotes the prompt) tells whether it reached its own client whole; a turn that fails, ends
 * without `done` or with other text than the direct answer to the same prompt counts as lost.
 * Rounds alternate; figures are medians over rounds. Issue 3, "Speed".
 */

const TURNS = 100;

type Side = 'direct' | 'chain';

interface Round {
  readonly side: Side;
  readonly ttftP50Ms: number;
  readonly ttftP99Ms: number;
  readonly wallMs: number;
  readonly lost: number;
}

const promptOf = (i: number) => `Concurrent turn number ${i}.`;

async function wave(turn: (prompt: string) => Promise<TurnResult>): Promise<{ results: (TurnResult | undefined)[]; wallMs: number }> {
  const startedMs = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: TURNS }, (_, i) => turn(promptOf(i))));
  return { results: settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined)), wallMs: performance.now() - startedMs };
}

async function measure(context: RunContext, gatewayUrl: string, simulatorUrl: string) {
  const settings = { concurrentTurns: TURNS, warmupRounds: 1, rounds: context.quick ? 1 : 6 };
  const client = simulatorClient(simulatorUrl);
  const turn: Record<Side, (prompt: string) => Promise<TurnResult>> = {
    direct: (prompt) => sdkTurn(client, prompt),
    chain: (prompt) => apiChatTurn(gatewayUrl, prompt),
  };
  // The right answers, one turn at a time, before any load.
  const expected: string[] = [];
  for (let i = 0; i < TURNS; i++) expected.push((await sdkTurn(client, promptOf(i))).text);

  const rounds: Round[] = [];
  for (let round = 0; round < settings.warmupRounds + settings.rounds; round++) {
    for (const side of alternating<Side>(round, ['direct', 'chain'])) {
      const { results, wallMs } = await wave(turn[side]);
      const lost = results.filter((r, i) => !r?.done || r.text !== expected[i]).length;
      const ttfts = results.flatMap((r) => (r && Number.isFinite(r.ttftMs) ? [r.ttftMs] : []));
      if (round < settings.warmupRounds) continue;
      const measured = { side, ttftP50Ms: percentile(ttfts, 50), ttftP99Ms: percentile(ttfts, 99), wallMs, lost };
      rounds.push(measured);
      context.progress(`round ${round}/${settings.rounds} ${side}: TTFT p99 ${measured.ttftP99Ms.toFixed(1)} ms, ${lost} lost`);
    }
  }
  const over = (side: Side, key: Exclude<keyof Round, 'side'>) => median(rounds.filter((r) => r.side === side).map((r) => r[key]));
  const total = (side: Side) => rounds.filter((r) => r.side === side).reduce((sum, r) => sum + r.lost, 0);
  const pair = (key: Exclude<keyof Round, 'side'>) => ({ baseline: over('direct', key), ours: over('chain', key) });
  const figures: Figure[] = [
    { metric: `TTFT p50 ×${TURNS}`, unit: 'ms', better: 'lower', ...pair('ttftP50Ms') },
    {
      metric: `TTFT p99 ×${TURNS}`,
      unit: 'ms',
      better: 'lower',
      ...pair('ttftP99Ms'),
      goal: { of: 'added', atMost: 25, source: 'issue 3, Speed' },
    },
    { metric: `all ${TURNS} turns done`, unit: 'ms', better: 'lower', ...pair('wallMs') },
    {
      metric: `turns lost of ${TURNS * settings.rounds}`,
      unit: 'turns',
      better: 'lower',
      baseline: total('direct'),
      ours: total('chain'),
      goal: { of: 'ours', atMost: 0, source: 'issue 3, Speed' },
    },
  ];
  return { figures, settings, rounds };
}

export const chatConcurrency: Scenario = {
  name: 'chat-concurrency',
  summary: `${TURNS} streaming turns started at once, each checked for done and its own text, sides alternating`,
  baseline: `${TURNS} × openai SDK → simulator`,
  ours: `${TURNS} × POST /api/chat (SSE) → gateway → NATS → llm-text → simulator`,
  run: (context) => withStack({}, (stack) => measure(context, stack.gatewayUrl, stack.simulatorUrl ?? '')),
};
