import autocannon from 'autocannon';
import { startChild, type ChildServer } from '../lib/child.js';
import { alternating, type Figure, type RunContext, type Scenario } from '../lib/scenario.js';
import { median } from '../lib/stats.js';

/**
 * Bare Fastify against the same route behind the service kit's options and plugins, loaded with
 * fastify/benchmarks' recipe (100 connections, 10 pipelined; performance reference A3/A7) so our
 * absolute figures can be set beside theirs. Each server runs in its own process and only one is
 * loaded at a time: on two cores, the server gets one and autocannon in this process the other.
 */

const CONNECTIONS = 100;
const PIPELINING = 10;

type Variant = 'bare' | 'kit';

interface Round {
  readonly variant: Variant;
  readonly requestsPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
}

async function load(port: number, durationSec: number, variant: Variant): Promise<Round> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/ping`,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    duration: durationSec,
  });
  // A server that answers errors fast would otherwise look like a fast server.
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${variant}: ${result.errors} connection errors and ${result.non2xx} non-2xx answers under load`);
  }
  return {
    variant,
    requestsPerSec: result.requests.total / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
  };
}

async function run(context: RunContext) {
  const settings = {
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    warmupSec: context.quick ? 1 : 2,
    // Many short alternating rounds rather than a few long ones: noise on a shared machine comes in bursts.
    roundSec: context.quick ? 2 : 3,
    rounds: context.quick ? 1 : 6,
  };
  const servers: Partial<Record<Variant, ChildServer<{ port: number }>>> = {};
  const rounds: Round[] = [];
  try {
    const url = new URL('../servers/http-ping.ts', import.meta.url);
    for (const variant of ['bare', 'kit'] as const) servers[variant] = await startChild<{ port: number }>(url, [variant]);
    const portOf = (variant: Variant) => servers[variant]?.info.port ?? 0;
    // Warm-up lets V8 optimise both servers' hot paths before anything is counted.
    for (const variant of ['bare', 'kit'] as const) await load(portOf(variant), settings.warmupSec, variant);
    for (let round = 0; round < settings.rounds; round++) {
      for (const variant of alternating<Variant>(round, ['bare', 'kit'])) {
        const measured = await load(portOf(variant), settings.roundSec, variant);
        rounds.push(measured);
        context.progress(`round ${round + 1}/${settings.rounds} ${variant}: ${Math.round(measured.requestsPerSec)} req/s`);
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
  // The median of the rounds: one disturbed round on a shared machine does not move it.
  const pick = (variant: Variant, key: Exclude<keyof Round, 'variant'>) =>
    median(rounds.filter((r) => r.variant === variant).map((r) => r[key]));
  const figure = (metric: string, unit: string, better: Figure['better'], key: Exclude<keyof Round, 'variant'>) => ({
    metric,
    unit,
    better,
    baseline: pick('bare', key),
    ours: pick('kit', key),
  });
  const figures: Figure[] = [
    {
      ...figure('throughput', 'req/s', 'higher', 'requestsPerSec'),
      goal: { of: 'ratio', atLeast: 0.5, source: 'performance-and-reliability.md §0, gateway overhead' },
    },
    figure('latency p50', 'ms', 'lower', 'latencyP50Ms'),
    figure('latency p99', 'ms', 'lower', 'latencyP99Ms'),
  ];
  return { figures, settings, rounds };
}

export const httpBaseline: Scenario = {
  name: 'http-baseline',
  summary: 'GET /ping → {ok:true} under autocannon, one server process at a time',
  baseline: 'bare Fastify (logger off)',
  ours: 'Fastify with the service kit (fastifyOptions, errorHandling, httpMetrics)',
  run,
};
