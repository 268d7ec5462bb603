import { setTimeout as sleep } from 'node:timers/promises';
import type { Stack } from '../../test/helpers/stack.js';
import { startChild, type ChildServer } from '../lib/child.js';
import { formatNumber } from '../lib/table.js';
import { cpuSeconds, machineTicks, pidListeningOn, rssBytes } from '../lib/proc.js';
import { APPEND_FRAME_BYTES, closeSessions, FRAME_MS, openSessions, PROBE_INTERVAL_MS, Recorder, type Endpoint } from '../lib/realtime-load.js';
import type { Figure, Measured, RunContext, Scenario } from '../lib/scenario.js';
import { withStack } from '../lib/stack.js';
import { median, percentile } from '../lib/stats.js';

/**
 * Realtime voice sessions (20 ms PCM16 frames up, the provider's paced audio down, a round-trip
 * probe every 100 ms; see lib/realtime-load.ts) three ways in the same run: directly to the
 * provider, through the reference relay (servers/reference-relay.ts), and through ours (gateway
 * `/v1/realtime` pass-through + realtime-relay). What a relay adds is a probe's round trip minus
 * the direct one measured in the same round; ours is compared with the reference's, at 1, 50 and
 * 200 sessions. At the top level ours also runs GLM-Realtime (translation and resampling both
 * ways), and each relay process's CPU time and memory are read from /proc. Issue 6, "Speed".
 * The provider is servers/realtime-provider.ts, not the simulator: the simulator synthesises voice
 * for every delta and saturates its core at a few dozen sessions (see that file).
 */

const MODEL = 'gpt-realtime';
/** `BENCH_REALTIME_PROVIDER=simulator` measures against the provider simulator instead (it saturates at a few dozen sessions). */
const USE_SIMULATOR = process.env.BENCH_REALTIME_PROVIDER === 'simulator';
const GLM_MODEL = 'glm-realtime-flash';
const SIM_KEY = 'sim-openai-key';

type Variant = 'direct' | 'reference' | 'ours' | 'glm';

/** Processes whose cost a variant is charged with. */
interface Watched {
  readonly relay?: number | undefined;
  readonly gateway?: number | undefined;
  readonly provider?: number | undefined;
}

interface Measurement {
  readonly variant: Variant;
  readonly sessions: number;
  readonly round: number;
  readonly rttP50Ms: number;
  readonly rttP99Ms: number;
  readonly probes: number;
  readonly unanswered: number;
  /** CPU milliseconds the relay process used per second of one session. */
  readonly relayCpuMsPerSessionSec: number;
  readonly gatewayCpuMsPerSessionSec: number;
  /** The provider's and this load generator's CPU, per session-second: when either nears a core, latency is theirs. */
  readonly providerCpuMsPerSessionSec: number;
  readonly clientCpuMsPerSessionSec: number;
  /** Share of the whole machine's CPU busy during the window (everyone's processes): near 1, latency is queueing. */
  readonly machineBusy: number;
  /** Relay RSS with the sessions open, above its idle RSS, per session. */
  readonly relayBytesPerSession: number;
  /** Audio deltas received per session-second (25 when the provider talks all the time in 40 ms deltas). */
  readonly audioDeltasPerSessionSec: number;
  readonly appendsPerSessionSec: number;
  readonly errors: number;
  readonly firstError?: string | undefined;
  readonly openRetries: number;
}

interface Settings {
  readonly levels: number[];
  readonly rounds: number;
  readonly warmMs: number;
  windowMs(sessions: number): number;
}

function settingsFor(quick: boolean): Settings {
  return quick
    ? { levels: [1, 20], rounds: 1, warmMs: 300, windowMs: (n) => (n === 1 ? 1_000 : 1_500) }
    : // One session makes only 10 probes a second: its window is longer, for enough samples at p99.
      { levels: [1, 50, 200], rounds: 2, warmMs: 1_000, windowMs: (n) => (n === 1 ? 5_000 : 4_000) };
}

const perSessionSec = (amount: number, sessions: number, seconds: number) => amount / (sessions * seconds);

function cpuMs(pid: number | undefined): number {
  const seconds = pid === undefined ? undefined : cpuSeconds(pid);
  return seconds === undefined ? Number.NaN : seconds * 1000;
}

/** Opens `sessions`, lets them settle, counts one window, closes them. */
async function measureOnce(
  endpoint: Endpoint,
  variant: Variant,
  sessions: number,
  round: number,
  settings: Settings,
  watched: Watched,
  idleRss: ReadonlyMap<number, number>,
): Promise<Measurement> {
  const recorder = new Recorder();
  const open = await openSessions(endpoint, sessions, recorder);
  try {
    await sleep(settings.warmMs);
    const relayBefore = cpuMs(watched.relay);
    const gatewayBefore = cpuMs(watched.gateway);
    const providerBefore = cpuMs(watched.provider);
    const clientBefore = process.cpuUsage();
    const machineBefore = machineTicks();
    const startedMs = performance.now();
    recorder.measuring = true;
    await sleep(settings.windowMs(sessions));
    recorder.measuring = false;
    const seconds = (performance.now() - startedMs) / 1000;
    const relayCpu = cpuMs(watched.relay) - relayBefore;
    const gatewayCpu = cpuMs(watched.gateway) - gatewayBefore;
    const providerCpu = cpuMs(watched.provider) - providerBefore;
    const client = process.cpuUsage(clientBefore);
    const clientCpu = (client.user + client.system) / 1000;
    const machineAfter = machineTicks();
    const machineBusy =
      machineBefore && machineAfter ? (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total) : Number.NaN;
    const rss = watched.relay === undefined ? undefined : rssBytes(watched.relay);
    const idle = watched.relay === undefined ? undefined : idleRss.get(watched.relay);
    // Answers to probes sent at the end of the window still count; later than this they are unanswered.
    await sleep(300);
    return {
      variant,
      sessions,
      round,
      rttP50Ms: percentile(recorder.rttMs, 50),
      rttP99Ms: percentile(recorder.rttMs, 99),
      probes: recorder.probesSent,
      unanswered: recorder.probesSent - recorder.probesAnswered,
      relayCpuMsPerSessionSec: perSessionSec(relayCpu, sessions, seconds),
      gatewayCpuMsPerSessionSec: perSessionSec(gatewayCpu, sessions, seconds),
      providerCpuMsPerSessionSec: perSessionSec(providerCpu, sessions, seconds),
      clientCpuMsPerSessionSec: perSessionSec(clientCpu, sessions, seconds),
      machineBusy,
      relayBytesPerSession: rss === undefined || idle === undefined ? Number.NaN : (rss - idle) / sessions,
      audioDeltasPerSessionSec: perSessionSec(recorder.audioDeltas, sessions, seconds),
      appendsPerSessionSec: perSessionSec(recorder.appendsSent, sessions, seconds),
      errors: recorder.errors,
      firstError: recorder.firstError,
      openRetries: recorder.retries,
    };
  } finally {
    await closeSessions(open);
    // The relays close their provider sockets after the client's; the next measurement starts clean.
    await sleep(300);
  }
}

interface Paths {
  readonly endpoints: Record<Variant, Endpoint>;
  readonly watched: Record<Variant, Watched>;
  /** What "ours" went through in this run. */
  readonly oursPath: string;
}

/** Whether `endpoint` gives a working session; the reason if not. */
async function tryOpen(endpoint: Endpoint): Promise<string | undefined> {
  try {
    await closeSessions(await openSessions(endpoint, 1, new Recorder()));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function paths(stack: Stack, reference: ChildServer<{ port: number }>, progress: (line: string) => void): Promise<Paths> {
  const providerUrl = stack.env.OPENAI_REALTIME_URL;
  if (!providerUrl) throw new Error('the stack has no OPENAI_REALTIME_URL (simulator not started?)');
  const relayPort = stack.ports['realtime-relay'];
  const relay = pidListeningOn(relayPort);
  // The provider's CPU, whichever serves: when it nears a core, the latency is its queueing.
  const provider = pidListeningOn(Number(new URL(providerUrl.replace(/^ws/, 'http')).port));
  const viaGateway = (model: string): Endpoint => ({ url: `ws://127.0.0.1:${stack.ports.gateway}/v1/realtime?model=${model}` });
  const viaRelay = (model: string): Endpoint => ({ url: `ws://127.0.0.1:${relayPort}/v1/realtime?model=${model}` });
  const gatewayRefusal = await tryOpen(viaGateway(MODEL));
  const gatewayReady = gatewayRefusal === undefined;
  if (!gatewayReady) progress(`gateway /v1/realtime not usable (${gatewayRefusal}); measuring the relay alone at its own port`);
  const ours = gatewayReady ? viaGateway : viaRelay;
  const oursWatched: Watched = { relay, provider, gateway: gatewayReady ? pidListeningOn(stack.ports.gateway) : undefined };
  return {
    endpoints: {
      direct: { url: `${providerUrl}?model=${MODEL}`, headers: { authorization: `Bearer ${SIM_KEY}` } },
      reference: { url: `ws://127.0.0.1:${reference.info.port}/?model=${MODEL}` },
      ours: ours(MODEL),
      glm: ours(GLM_MODEL),
    },
    watched: { direct: { provider }, reference: { relay: reference.pid, provider }, ours: oursWatched, glm: oursWatched },
    oursPath: gatewayReady
      ? 'gateway /v1/realtime → realtime-relay → provider'
      : `realtime-relay alone at its port /v1/realtime (gateway /v1/realtime refused: ${gatewayRefusal})`,
  };
}

/** Each round takes the variants in turn, the order reversed every other round against drift. */
const orderOf = (variants: readonly Variant[], round: number): Variant[] => (round % 2 === 0 ? [...variants] : [...variants].reverse());

async function measure(context: RunContext, stack: Stack, reference: ChildServer<{ port: number }>): Promise<Measured> {
  const settings = settingsFor(context.quick);
  const { endpoints, watched, oursPath } = await paths(stack, reference, context.progress);
  currentOursPath = oursPath;
  const top = settings.levels[settings.levels.length - 1] ?? 1;

  // Warm-up: every path carries a few sessions before anything is counted, so V8 has optimised it.
  for (const variant of ['direct', 'reference', 'ours', 'glm'] as const) {
    const recorder = new Recorder();
    const warm = await openSessions(endpoints[variant], 5, recorder);
    await sleep(settings.warmMs * 2);
    await closeSessions(warm);
    if (recorder.errors > 0) context.progress(`warm-up ${variant}: ${recorder.errors} error events, first: ${recorder.firstError}`);
  }
  await sleep(500);
  // The idle baseline of each relay's memory, after the warm-up grew its heap to working size.
  const idleRss = new Map<number, number>();
  for (const pid of [watched.reference.relay, watched.ours.relay]) {
    const rss = pid === undefined ? undefined : rssBytes(pid);
    if (pid !== undefined && rss !== undefined) idleRss.set(pid, rss);
  }

  const all: Measurement[] = [];
  for (const sessions of settings.levels) {
    const variants: Variant[] = sessions === top ? ['direct', 'reference', 'ours', 'glm'] : ['direct', 'reference', 'ours'];
    for (let round = 0; round < settings.rounds; round++) {
      for (const variant of orderOf(variants, round)) {
        const m = await measureOnce(endpoints[variant], variant, sessions, round, settings, watched[variant], idleRss);
        all.push(m);
        const cpu = Number.isFinite(m.relayCpuMsPerSessionSec) ? `, relay CPU ${m.relayCpuMsPerSessionSec.toFixed(2)} ms/session-s` : '';
        const load = `, CPU ms/session-s: provider ${m.providerCpuMsPerSessionSec.toFixed(1)}, client ${m.clientCpuMsPerSessionSec.toFixed(1)}; machine ${Math.round(m.machineBusy * 100)} % busy`;
        const errors = `${m.errors > 0 ? `, ${m.errors} errors (${m.firstError})` : ''}${m.openRetries > 0 ? `, ${m.openRetries} opens retried` : ''}`;
        context.progress(
          `×${sessions} round ${round + 1}/${settings.rounds} ${variant}: RTT p50 ${m.rttP50Ms.toFixed(2)} p99 ${m.rttP99Ms.toFixed(2)} ms, ` +
            `${m.unanswered}/${m.probes} unanswered, ${m.audioDeltasPerSessionSec.toFixed(1)} deltas/session-s${cpu}${load}${errors}`,
        );
      }
    }
  }
  return { figures: figures(all, settings, top), settings: describe(settings, oursPath), rounds: all };
}

function figures(all: readonly Measurement[], settings: Settings, top: number): Figure[] {
  const of = (variant: Variant, sessions: number) => all.filter((m) => m.variant === variant && m.sessions === sessions);
  const overRounds = (variant: Variant, sessions: number, key: keyof Measurement) => median(of(variant, sessions).map((m) => Number(m[key])));
  /** What `variant` adds to the direct round trip, per round (same round, same conditions), median over rounds. */
  const added = (variant: Variant, sessions: number, key: 'rttP50Ms' | 'rttP99Ms') =>
    median(
      Array.from({ length: settings.rounds }, (_, round) => {
        const direct = all.find((m) => m.variant === 'direct' && m.sessions === sessions && m.round === round);
        const side = all.find((m) => m.variant === variant && m.sessions === sessions && m.round === round);
        return direct && side ? side[key] - direct[key] : Number.NaN;
      }),
    );
  const source = 'issue 6, Speed';
  const rows: Figure[] = [];
  for (const sessions of settings.levels) {
    for (const [label, key] of [['p50', 'rttP50Ms'], ['p99', 'rttP99Ms']] as const) {
      const direct = formatNumber(overRounds('direct', sessions, key));
      rows.push({
        metric: `added RTT ${label} ×${sessions} (direct ${direct} ms)`,
        unit: 'ms',
        better: 'lower',
        baseline: added('reference', sessions, key),
        ours: added('ours', sessions, key),
        // The issue sets the bound at 200 sessions; smaller loads show how the added latency grows.
        ...(sessions === top ? { goal: { of: 'ratio' as const, atMost: 1.5, source } } : {}),
      });
    }
  }
  const cpu = (variant: Variant) => overRounds(variant, top, 'relayCpuMsPerSessionSec');
  const kb = (variant: Variant) => overRounds(variant, top, 'relayBytesPerSession') / 1024;
  rows.push(
    {
      metric: `relay CPU per session-s ×${top}`,
      unit: 'ms',
      better: 'lower',
      baseline: cpu('reference'),
      ours: cpu('ours'),
      goal: { of: 'ratio', atMost: 1.5, source },
    },
    {
      metric: `relay CPU per session-s ×${top}, GLM`,
      unit: 'ms',
      better: 'lower',
      baseline: cpu('reference'),
      ours: cpu('glm'),
      goal: { of: 'ratio', atMost: 4, source },
    },
    // One core gives 1000 CPU ms each second.
    {
      metric: 'sessions per core',
      unit: 'sessions',
      better: 'higher',
      baseline: 1000 / cpu('reference'),
      ours: 1000 / cpu('ours'),
      goal: { of: 'ours', atLeast: 300, source },
    },
    { metric: 'sessions per core, GLM', unit: 'sessions', better: 'higher', baseline: 1000 / cpu('reference'), ours: 1000 / cpu('glm') },
    {
      metric: `relay memory per session ×${top}`,
      unit: 'KB',
      better: 'lower',
      baseline: kb('reference'),
      ours: kb('ours'),
      goal: { of: 'ours', atMost: 100, source },
    },
    { metric: `relay memory per session ×${top}, GLM`, unit: 'KB', better: 'lower', baseline: kb('reference'), ours: kb('glm') },
  );
  const gatewayCpu = overRounds('ours', top, 'gatewayCpuMsPerSessionSec');
  if (Number.isFinite(gatewayCpu)) {
    // Not part of the relay goal, but what the second hop costs: beside the reference relay's whole cost.
    rows.push({ metric: `gateway pass-through CPU per session-s ×${top}`, unit: 'ms', better: 'lower', baseline: cpu('reference'), ours: gatewayCpu });
  }
  const unanswered = (variant: Variant) => all.filter((m) => m.variant === variant).reduce((sum, m) => sum + m.unanswered, 0);
  const retried = (variant: Variant) => all.filter((m) => m.variant === variant).reduce((sum, m) => sum + m.openRetries, 0);
  rows.push({ metric: 'session opens retried', unit: 'opens', better: 'lower', baseline: retried('reference'), ours: retried('ours') + retried('glm') });
  rows.push({ metric: 'probes unanswered 300 ms after windows', unit: 'probes', better: 'lower', baseline: unanswered('reference'), ours: unanswered('ours') });
  return rows;
}

function describe(settings: Settings, oursPath: string): Record<string, unknown> {
  return {
    oursPath,
    model: MODEL,
    glmModel: GLM_MODEL,
    levels: settings.levels,
    rounds: settings.rounds,
    warmMs: settings.warmMs,
    windowMs: Object.fromEntries(settings.levels.map((n) => [n, settings.windowMs(n)])),
    frameMs: FRAME_MS,
    appendFrameBytes: APPEND_FRAME_BYTES,
    probeIntervalMs: PROBE_INTERVAL_MS,
    provider: USE_SIMULATOR
      ? 'provider simulator, SIM_REALTIME_PACE=realtime (its default: answer audio as fast as it plays)'
      : 'servers/realtime-provider.ts: prebuilt audio, 40 ms deltas as fast as they play, 3 s answers back to back',
  };
}

async function run(context: RunContext): Promise<Measured> {
  const provider = USE_SIMULATOR ? undefined : await startChild<{ port: number }>(new URL('../servers/realtime-provider.ts', import.meta.url), []);
  try {
    const base = provider ? `ws://127.0.0.1:${provider.info.port}` : undefined;
    // The services read the provider URLs from their environment; these override the simulator's.
    const env: Record<string, string> = base
      ? { OPENAI_REALTIME_URL: `${base}/openai/v1/realtime`, ZHIPU_REALTIME_URL: `${base}/zhipu/api/paas/v4/realtime` }
      : {};
    return await withStack({ env }, async (stack) => {
      const providerUrl = stack.env.OPENAI_REALTIME_URL ?? '';
      const reference = await startChild<{ port: number }>(new URL('../servers/reference-relay.ts', import.meta.url), [providerUrl, SIM_KEY]);
      try {
        return await measure(context, stack, reference);
      } finally {
        await reference.stop();
      }
    });
  } finally {
    await provider?.stop();
  }
}

/** Set by a run: whether ours went through the gateway or, while it lacks `/v1/realtime`, the relay alone. */
let currentOursPath = 'gateway /v1/realtime → realtime-relay → provider';

export const realtimeRelay: Scenario = {
  name: 'realtime-relay',
  summary: 'realtime voice sessions (20 ms audio up, paced audio down, a probe every 100 ms) at 1, 50 and 200 sessions',
  baseline: 'reference relay (ws piping frames unparsed, own process); added latency is against direct to the provider',
  // Read after the run, so the report names the path actually measured.
  get ours() {
    return currentOursPath;
  },
  run,
};
