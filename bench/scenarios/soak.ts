import { setTimeout as sleep } from 'node:timers/promises';
import type { Stack } from '../../test/helpers/stack.js';
import { CLIENT_LIMITS_OFF } from '../../test/helpers/limits.js';
import { ChatRate } from '../lib/chat-rate.js';
import { startChild } from '../lib/child.js';
import { Inspector, inspectorUrlIn } from '../../test/helpers/inspector.js';
import { closeSessions, openSessions, Recorder } from '../lib/realtime-load.js';
import type { Figure, Measured, RunContext, Scenario } from '../lib/scenario.js';
import { sampleServices, type ServiceSample } from '../lib/service-samples.js';
import { withStack } from '../lib/stack.js';
import { percentile } from '../lib/stats.js';

/**
 * Load and soak (issue 5): 100 realtime sessions at real-time audio rate (lib/realtime-load.ts)
 * and 20 text turns a second through `POST /api/chat` (lib/chat-rate.ts), held for
 * `--soak-minutes` (10 by default; two 10 s windows with `--quick`). Every minute: latency percentiles of both,
 * failures, and each service's memory and event-loop delay from its /metrics. Stable when the last
 * minute's p99s are within 20 % of the first's and no service's highest RSS in the second half of
 * the run is 10 % or more above its highest in the first. Not one reading against another: under
 * this load V8 grows its young generation to its cap (128 MB on Node 24) within a minute or two,
 * commits old space up to each full collection and gives it back later, so llm-text's RSS swings
 * between about 225 and 370 MB minute to minute with a constant live heap, and RSS measured
 * against minute 1 counted warm-up as growth. A leak raises the peaks of the second half above
 * those of the first; the sawtooth does not. The growth from minute 1 and each service's live
 * heap after a full collection (through its inspector, after minute 1 and at the end) are
 * reported beside it. The baseline column is the first minute (the first half, for RSS), ours
 * the last (the second half). The realtime provider is
 * servers/realtime-provider.ts (the simulator saturates a core at a few dozen sessions); text
 * turns go to the simulator.
 */

const SESSIONS = 100;
const TURNS_PER_SECOND = 20;
const MINUTE_MS = 60_000;
const DEFAULT_MINUTES = 10;
/** `--quick`: two 10 s windows instead of minutes, a smoke check that the soak runs at all. */
const QUICK_WINDOW_MS = 10_000;
const QUICK_WINDOWS = 2;
const P99_GROWTH_LIMIT = 1.2;
const RSS_GROWTH_LIMIT = 1.1;
const SERVICES = ['gateway', 'llm-text', 'realtime-relay', 'session'] as const;

interface Minute {
  readonly minute: number;
  readonly chatStarted: number;
  readonly chatFinished: number;
  readonly chatFailed: number;
  readonly chatTtftP50Ms: number;
  readonly chatTtftP99Ms: number;
  readonly chatTotalP99Ms: number;
  readonly realtimeRttP50Ms: number;
  readonly realtimeRttP99Ms: number;
  /** Probes sent since the start and not answered by the end of this minute: in flight or lost. */
  readonly realtimeProbesUnanswered: number;
  readonly realtimeErrors: number;
  readonly realtimeSessionsOpen: number;
  readonly services: Record<string, ServiceSample | undefined>;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** RSS / V8 heap reserved / in use / external / of which ArrayBuffers, in MB: which grows says where. */
function memoryLine(s: ServiceSample | undefined): string {
  if (!s) return 'n/a';
  return `${[s.rssMb, s.heapTotalMb, s.heapUsedMb, s.externalMb, s.arrayBuffersMb].map(round1).join('/')} MB`;
}

const span = (from: number, to: number) => (from >= to ? `${to}` : `${from}–${to}`);

/** How many minutes the first half holds (with one minute, both halves are that minute). */
const firstHalfMinutes = (minutes: number) => Math.max(1, Math.ceil(minutes / 2));

/** Live JavaScript heap of each service after a full collection, in MB; missing where no inspector answered. */
async function liveHeapMb(inspectors: ReadonlyMap<string, Inspector>): Promise<Record<string, number>> {
  const entries = await Promise.all(
    [...inspectors].map(async ([name, inspector]) => {
      const settled = await inspector.settledMemory().catch(() => undefined);
      return [name, settled ? settled.heapUsedBytes / (1024 * 1024) : Number.NaN] as const;
    }),
  );
  return Object.fromEntries(entries);
}

async function soak(context: RunContext, stack: Stack, minutes: number, windowMs: number): Promise<Measured> {
  const urls = Object.fromEntries(SERVICES.map((name) => [name, `http://127.0.0.1:${stack.ports[name]}`]));
  const recorder = new Recorder();
  const endpoint = { url: `${stack.gatewayUrl.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime` };
  // The services run with an idle inspector (see run()): named here so that a heap snapshot can be
  // taken from outside while the load runs, when a service's memory grows.
  const inspectors = new Map<string, Inspector>();
  for (const name of SERVICES) {
    const url = inspectorUrlIn(stack.logs(name));
    context.progress(`${name} inspector: ${url ?? 'none'}`);
    const inspector = url ? await Inspector.connect(url).catch(() => undefined) : undefined;
    if (inspector) inspectors.set(name, inspector);
  }
  context.progress(`opening ${SESSIONS} realtime sessions; memory below is RSS/heap total/heap used/external/ArrayBuffers`);
  const sessions = await openSessions(endpoint, SESSIONS, recorder);
  let open = sessions.length;
  for (const s of sessions) void s.closed.then(() => open--);
  const chat = new ChatRate(stack.gatewayUrl, TURNS_PER_SECOND);
  const perMinute: Minute[] = [];
  let liveAtStart: Record<string, number> = {};
  let liveAtEnd: Record<string, number> = {};
  try {
    await sampleServices(urls); // resets the event-loop histograms: minute 1 starts clean
    recorder.measuring = true;
    chat.start();
    for (let minute = 1; minute <= minutes; minute++) {
      const rttFrom = recorder.rttMs.length;
      const errorsBefore = recorder.errors;
      await sleep(windowMs);
      const bucket = chat.take();
      const rtt = recorder.rttMs.slice(rttFrom);
      const sample: Minute = {
        minute,
        chatStarted: bucket.started,
        chatFinished: bucket.finished,
        chatFailed: bucket.failed,
        chatTtftP50Ms: round1(percentile(bucket.ttftMs, 50)),
        chatTtftP99Ms: round1(percentile(bucket.ttftMs, 99)),
        chatTotalP99Ms: round1(percentile(bucket.totalMs, 99)),
        realtimeRttP50Ms: round1(percentile(rtt, 50)),
        realtimeRttP99Ms: round1(percentile(rtt, 99)),
        realtimeProbesUnanswered: recorder.probesSent - recorder.probesAnswered,
        realtimeErrors: recorder.errors - errorsBefore,
        realtimeSessionsOpen: open,
        services: await sampleServices(urls),
      };
      perMinute.push(sample);
      const rss = SERVICES.map((name) => `${name} ${memoryLine(sample.services[name])}`).join(', ');
      context.progress(
        `${windowMs === MINUTE_MS ? 'minute' : 'window'} ${minute}/${minutes}: chat ${sample.chatFinished} ok ${sample.chatFailed} failed, TTFT p99 ${sample.chatTtftP99Ms} ms; realtime RTT p99 ${sample.realtimeRttP99Ms} ms, ${open} open; ${rss}`,
      );
      if (bucket.firstError) context.progress(`  first chat failure: ${bucket.firstError}`);
      // After minute 1's sample: a forced full collection also gives memory back (V8 shrinks its
      // young generation), and this dip in the first half can only lower the peak the second half
      // is held to, never hide growth.
      if (minute === 1 && minutes > 1) liveAtStart = await liveHeapMb(inspectors);
    }
    liveAtEnd = await liveHeapMb(inspectors);
    if (minutes === 1) liveAtStart = liveAtEnd;
    context.progress(`live heap after full GC, MB: ${SERVICES.map((n) => `${n} ${round1(liveAtStart[n] ?? Number.NaN)} → ${round1(liveAtEnd[n] ?? Number.NaN)}`).join(', ')}`);
  } finally {
    recorder.measuring = false;
    for (const inspector of inspectors.values()) inspector.close();
    await chat.stop();
    await closeSessions(sessions);
  }
  return report(perMinute, minutes, windowMs, recorder, { atStart: liveAtStart, atEnd: liveAtEnd });
}

function report(
  perMinute: readonly Minute[],
  minutes: number,
  windowMs: number,
  recorder: Recorder,
  liveHeap: { atStart: Record<string, number>; atEnd: Record<string, number> },
): Measured {
  const first = perMinute[0];
  const last = perMinute.at(-1);
  if (!first || !last) throw new Error('the soak ended before its first minute');
  const half = firstHalfMinutes(perMinute.length);
  const firstHalf = perMinute.slice(0, half);
  const secondHalf = perMinute.length > 1 ? perMinute.slice(half) : perMinute;
  const figures: Figure[] = [
    {
      metric: 'chat TTFT p99, last minute vs first',
      unit: 'ms',
      better: 'lower',
      baseline: first.chatTtftP99Ms,
      ours: last.chatTtftP99Ms,
      goal: { of: 'ratio', atMost: P99_GROWTH_LIMIT, source: 'issue 5: last minute p99 within 20 % of the first' },
    },
    {
      metric: 'realtime probe RTT p99, last minute vs first',
      unit: 'ms',
      better: 'lower',
      baseline: first.realtimeRttP99Ms,
      ours: last.realtimeRttP99Ms,
      goal: { of: 'ratio', atMost: P99_GROWTH_LIMIT, source: 'issue 5: last minute p99 within 20 % of the first' },
    },
    { metric: 'chat turns failed, last minute vs first', unit: 'turns', better: 'lower', baseline: first.chatFailed, ours: last.chatFailed },
  ];
  const rss = (m: Minute, name: string) => m.services[name]?.rssMb ?? Number.NaN;
  // A minute a service did not answer in is left out; no answer in a whole half is NaN, not stable.
  const peakRss = (some: readonly Minute[], name: string) => {
    const answered = some.map((m) => rss(m, name)).filter(Number.isFinite);
    return answered.length > 0 ? Math.max(...answered) : Number.NaN;
  };
  for (const name of SERVICES) {
    figures.push({
      metric: `${name} RSS, highest in minutes ${span(half + 1, perMinute.length)} vs in ${span(1, half)}`,
      unit: 'MB',
      better: 'lower',
      baseline: round1(peakRss(firstHalf, name)),
      ours: round1(peakRss(secondHalf, name)),
      goal: { of: 'ratio', atMost: RSS_GROWTH_LIMIT, source: 'issue 5: RSS growth under 10 % (peak of the second half against the first)' },
    });
    figures.push({ metric: `${name} RSS, end vs after minute 1`, unit: 'MB', better: 'lower', baseline: round1(rss(first, name)), ours: round1(rss(last, name)) });
    figures.push({
      metric: `${name} live JS heap after full GC, end vs after minute 1`,
      unit: 'MB',
      better: 'lower',
      baseline: round1(liveHeap.atStart[name] ?? Number.NaN),
      ours: round1(liveHeap.atEnd[name] ?? Number.NaN),
    });
    figures.push({
      metric: `${name} event-loop delay p99, last minute vs first`,
      unit: 'ms',
      better: 'lower',
      baseline: round1(first.services[name]?.loopDelayP99Ms ?? Number.NaN),
      ours: round1(last.services[name]?.loopDelayP99Ms ?? Number.NaN),
    });
  }
  const grew = (a: number, b: number, limit: number) => !(Number.isFinite(a) && Number.isFinite(b) && a > 0 && b / a <= limit);
  const unstable = [
    grew(first.chatTtftP99Ms, last.chatTtftP99Ms, P99_GROWTH_LIMIT) ? 'chat TTFT p99' : undefined,
    grew(first.realtimeRttP99Ms, last.realtimeRttP99Ms, P99_GROWTH_LIMIT) ? 'realtime RTT p99' : undefined,
    ...SERVICES.map((name) => (grew(peakRss(firstHalf, name), peakRss(secondHalf, name), RSS_GROWTH_LIMIT) ? `${name} RSS` : undefined)),
  ].filter((x): x is string => x !== undefined);
  return {
    figures,
    settings: {
      minutes,
      windowMs,
      realtimeSessions: SESSIONS,
      chatTurnsPerSecond: TURNS_PER_SECOND,
      stable: unstable.length === 0,
      unstable,
      rssFirstHalfMinutes: half,
      rssGrowthFromMinute1: Object.fromEntries(SERVICES.map((name) => [name, round1((rss(last, name) / rss(first, name) - 1) * 100)])),
      chatTurnsFailed: perMinute.reduce((n, m) => n + m.chatFailed, 0),
      chatTurnsFinished: perMinute.reduce((n, m) => n + m.chatFinished, 0),
      realtimeErrors: recorder.errors,
      realtimeFirstError: recorder.firstError,
      realtimeSessionsOpenAtEnd: last.realtimeSessionsOpen,
    },
    rounds: perMinute,
  };
}

async function run(context: RunContext): Promise<Measured> {
  const quick = context.quick && context.soakMinutes === undefined;
  const minutes = quick ? QUICK_WINDOWS : (context.soakMinutes ?? DEFAULT_MINUTES);
  const windowMs = quick ? QUICK_WINDOW_MS : MINUTE_MS;
  const provider = await startChild<{ port: number }>(new URL('../servers/realtime-provider.ts', import.meta.url), []);
  try {
    const base = `ws://127.0.0.1:${provider.info.port}`;
    const env = {
      ...CLIENT_LIMITS_OFF,
      OPENAI_REALTIME_URL: `${base}/openai/v1/realtime`,
      // Idle until someone connects; lets a growing service be inspected mid-soak.
      NODE_OPTIONS: [process.env.NODE_OPTIONS, '--inspect=127.0.0.1:0'].filter(Boolean).join(' '),
    };
    return await withStack({ env }, (stack) => soak(context, stack, minutes, windowMs));
  } finally {
    await provider.stop();
  }
}

export const soakScenario: Scenario = {
  name: 'soak',
  summary: `${SESSIONS} realtime sessions + ${TURNS_PER_SECOND} text turns/s for --soak-minutes (10): per-minute p99s, RSS, event-loop delay`,
  baseline: 'the first minute of the soak',
  ours: 'the last minute of the soak',
  run,
};
