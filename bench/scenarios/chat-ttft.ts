import { apiChatTurn, sdkTurn, simulatorClient } from '../lib/chat.js';
import { alternating, type Figure, type RunContext, type Scenario } from '../lib/scenario.js';
import { withStack } from '../lib/stack.js';
import { percentile } from '../lib/stats.js';

/**
 * Time to first token of a short answer, one turn at a time: the `openai` SDK calling the
 * simulator directly against `POST /api/chat` (SSE on the same request) through gateway → NATS →
 * llm-text → the same simulator. Turns alternate direct/ours one by one, so a burst of load from a
 * neighbour on the machine lands on both sides alike. Issue 3, "Speed".
 */

const PROMPT = 'Tell me something short.';

type Side = 'direct' | 'chain';

async function measure(context: RunContext, gatewayUrl: string, simulatorUrl: string) {
  const settings = { prompt: PROMPT, warmupPairs: context.quick ? 15 : 30, pairs: context.quick ? 80 : 300 };
  const client = simulatorClient(simulatorUrl);
  const turn: Record<Side, () => Promise<number>> = {
    direct: async () => (await sdkTurn(client, PROMPT)).ttftMs,
    chain: async () => (await apiChatTurn(gatewayUrl, PROMPT)).ttftMs,
  };
  const ttftMs: Record<Side, number[]> = { direct: [], chain: [] };
  for (let i = 0; i < settings.warmupPairs + settings.pairs; i++) {
    for (const side of alternating<Side>(i, ['direct', 'chain'])) {
      const ms = await turn[side]();
      if (!Number.isFinite(ms)) throw new Error(`${side}: a turn ended without any text`);
      // The warm-up lets V8 optimise every process's hot path and fills the connection pools.
      if (i >= settings.warmupPairs) ttftMs[side].push(ms);
    }
    if ((i + 1) % 100 === 0) context.progress(`${i + 1}/${settings.warmupPairs + settings.pairs} pairs`);
  }
  const at = (pct: number) => ({ baseline: percentile(ttftMs.direct, pct), ours: percentile(ttftMs.chain, pct) });
  const figures: Figure[] = [
    {
      metric: 'TTFT p50',
      unit: 'ms',
      better: 'lower',
      ...at(50),
      goal: { of: 'added', atMost: 2, source: 'issue 3, Speed' },
    },
    {
      metric: 'TTFT p99',
      unit: 'ms',
      better: 'lower',
      ...at(99),
      goal: { of: 'added', atMost: 10, source: 'issue 3, Speed' },
    },
  ];
  return { figures, settings, rounds: { samples: ttftMs.direct.length } };
}

export const chatTtft: Scenario = {
  name: 'chat-ttft',
  summary: 'time to first token of a short streamed answer, one turn at a time, sides alternating',
  baseline: 'openai SDK → simulator',
  ours: 'POST /api/chat (SSE) → gateway → NATS → llm-text → simulator',
  run: (context) => withStack({}, (stack) => measure(context, stack.gatewayUrl, stack.simulatorUrl ?? '')),
};
