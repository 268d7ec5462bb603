import { connect, type NatsConnection } from 'nats';
import { createParser, Readiness } from '@voxgate/protocol';
import { requestJson } from '@voxgate/service-kit';
import { startNatsServer, type NatsServerHandle } from '../../test/helpers/nats-server.js';
import { startChild, type ChildServer } from '../lib/child.js';
import { alternating, ScenarioSkipped, type Figure, type RunContext, type Scenario } from '../lib/scenario.js';
import { median, percentile } from '../lib/stats.js';
import { onPath } from '../lib/system.js';

/**
 * Raw NATS request/reply against the service kit's path (services API endpoint with schema checks
 * on both sides, JSON, request-id header), through a real nats-server started for the run. The
 * answering side runs in its own process, as a service would; the requester is this process.
 * Measured as nats bench does (performance reference A4): one synchronous requester for latency,
 * then many concurrent requesters (closed loop) for throughput.
 */

const RAW_SUBJECT = 'bench.raw.echo';
const KIT_SUBJECT = 'bench.kit.echo';
/** As in the NATS docs' request/reply figure, so the absolute numbers can be set beside theirs. */
const CONCURRENT_REQUESTERS = 50;
const TIMEOUT_MS = 2_000;
/** A small body of a real schema: what a service's readiness answer looks like. */
const PAYLOAD: Readiness = { ready: false, reasons: ['nats disconnected', 'catalogue not loaded'] };

type Variant = 'raw' | 'kit';
type Call = () => Promise<unknown>;

/**
 * One request at a time, alternating raw and kit request by request, so a burst of load from a
 * neighbour on the machine lands on both sides alike.
 */
async function sequential(call: Record<Variant, Call>, pairs: number): Promise<Record<Variant, number[]>> {
  const latenciesMs: Record<Variant, number[]> = { raw: [], kit: [] };
  for (let i = 0; i < pairs; i++) {
    for (const variant of alternating<Variant>(i, ['raw', 'kit'])) {
      const startedMs = performance.now();
      await call[variant]();
      latenciesMs[variant].push(performance.now() - startedMs);
    }
  }
  return latenciesMs;
}

/** Closed loop: each requester sends its next request when its last one is answered. */
async function concurrent(call: Call, durationMs: number) {
  const latenciesMs: number[] = [];
  const startedMs = performance.now();
  const deadlineMs = startedMs + durationMs;
  const requester = async () => {
    while (performance.now() < deadlineMs) {
      const sentMs = performance.now();
      await call();
      latenciesMs.push(performance.now() - sentMs);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_REQUESTERS }, requester));
  const elapsedSec = (performance.now() - startedMs) / 1000;
  return { requestsPerSec: latenciesMs.length / elapsedSec, latenciesMs };
}

function callers(nc: NatsConnection): Record<Variant, Call> {
  const rawBody = new TextEncoder().encode(JSON.stringify(PAYLOAD));
  const response = createParser(Readiness);
  return {
    raw: () => nc.request(RAW_SUBJECT, rawBody, { timeout: TIMEOUT_MS }),
    // With a request id, as the gateway always sends one.
    kit: () => requestJson(nc, KIT_SUBJECT, PAYLOAD, { response, timeoutMs: TIMEOUT_MS, requestId: 'bench-request' }),
  };
}

interface ConcurrentRound {
  readonly variant: Variant;
  readonly requestsPerSec: number;
  readonly latencyP99Ms: number;
}

async function measure(context: RunContext, nc: NatsConnection) {
  const settings = {
    payloadBytes: JSON.stringify(PAYLOAD).length,
    concurrentRequesters: CONCURRENT_REQUESTERS,
    warmupPairs: context.quick ? 300 : 1_000,
    warmupConcurrentMs: 500,
    sequentialPairs: context.quick ? 1_000 : 5_000,
    // Many short alternating rounds rather than a few long ones: noise on a shared machine comes in bursts.
    concurrentRounds: context.quick ? 1 : 8,
    concurrentRoundMs: context.quick ? 1_000 : 1_500,
  };
  const call = callers(nc);
  await sequential(call, settings.warmupPairs);
  for (const variant of ['raw', 'kit'] as const) await concurrent(call[variant], settings.warmupConcurrentMs);

  const sequentialMs = await sequential(call, settings.sequentialPairs);
  const p = (variant: Variant, pct: number) => percentile(sequentialMs[variant], pct).toFixed(3);
  context.progress(`sequential p50: raw ${p('raw', 50)} ms, kit ${p('kit', 50)} ms`);
  const rounds: ConcurrentRound[] = [];
  for (let round = 0; round < settings.concurrentRounds; round++) {
    for (const variant of alternating<Variant>(round, ['raw', 'kit'])) {
      const measured = await concurrent(call[variant], settings.concurrentRoundMs);
      rounds.push({ variant, requestsPerSec: measured.requestsPerSec, latencyP99Ms: percentile(measured.latenciesMs, 99) });
      context.progress(`round ${round + 1}/${settings.concurrentRounds} ${variant}: ${Math.round(measured.requestsPerSec)} req/s`);
    }
  }

  const both = (metric: string, unit: string, better: Figure['better'], of: (v: Variant) => number) => ({
    metric,
    unit,
    better,
    baseline: of('raw'),
    ours: of('kit'),
  });
  // The median of the rounds: one disturbed round on a shared machine does not move it.
  const overRounds = (variant: Variant, key: 'requestsPerSec' | 'latencyP99Ms') =>
    median(rounds.filter((r) => r.variant === variant).map((r) => r[key]));
  const figures: Figure[] = [
    both('sequential p50', 'ms', 'lower', (v) => percentile(sequentialMs[v], 50)),
    {
      ...both('sequential p99', 'ms', 'lower', (v) => percentile(sequentialMs[v], 99)),
      goal: { of: 'ours', atMost: 5, source: 'performance-and-reliability.md §0, NATS request/reply' },
    },
    both(`throughput ×${CONCURRENT_REQUESTERS}`, 'req/s', 'higher', (v) => overRounds(v, 'requestsPerSec')),
    // Closed-loop queueing with 50 in flight, not the service time: no goal applies to it.
    both(`p99 ×${CONCURRENT_REQUESTERS}`, 'ms', 'lower', (v) => overRounds(v, 'latencyP99Ms')),
  ];
  return { figures, settings, rounds };
}

async function run(context: RunContext) {
  if (!onPath('nats-server')) {
    throw new ScenarioSkipped('nats-server is not on PATH (Debian: apt-get install nats-server)');
  }
  let server: NatsServerHandle | undefined;
  let echo: ChildServer<unknown> | undefined;
  let nc: NatsConnection | undefined;
  try {
    server = await startNatsServer();
    echo = await startChild(new URL('../servers/nats-echo.ts', import.meta.url), [server.url, RAW_SUBJECT, KIT_SUBJECT]);
    nc = await connect({ servers: server.url, name: 'bench-requester' });
    return await measure(context, nc);
  } finally {
    await nc?.close();
    await echo?.stop();
    await server?.dispose();
  }
}

export const natsRequest: Scenario = {
  name: 'nats-request',
  summary: 'request/reply of a small JSON body through a local nats-server, echo in a child process',
  baseline: 'raw nc.request → nc.subscribe + msg.respond',
  ours: 'requestJson → registerService + addJsonEndpoint',
  run,
};
