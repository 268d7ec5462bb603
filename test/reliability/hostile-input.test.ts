import t from 'tap';
import type { ServiceKey } from '../../scripts/lib/stack.js';
import { recordReliability } from '../helpers/reliability.js';
import { startStack } from '../helpers/stack.js';
import { hostileCorpus } from './hostile-corpus.js';
import { inspectorUrl, memoryAfterGc, type MemoryAfterGc } from './hostile-memory.js';
import { runCorpus, tally } from './hostile-runner.js';
import { startSlowClients } from './hostile-slow.js';

/** The corpus is generated from this seed: the same inputs every run, so a failure can be replayed. */
const SEED = 20_260_505;
const SERVICES: ServiceKey[] = ['gateway', 'session', 'llm-text', 'realtime-relay'];
/** Inputs are refused at once, or (a request that never ends its head) at the header timeout, 15 s; one unanswered for this long is a hang. */
const HANG_MS = 25_000;
/** What a service may still hold after GC once the corpus is over, above its baseline. */
const HEAP_SLACK_BYTES = 16 * 1024 * 1024;

// An inspector on a free port per process, so memory can be read right after a real GC. The
// per-client limits are off: a 429 would hide whether the input itself is refused.
const stack = await startStack({
  env: { NODE_OPTIONS: '--inspect=127.0.0.1:0', SIM_REALTIME_PACE: 'fast', RATE_LIMIT_PER_MINUTE: '0', MAX_REALTIME_SESSIONS_PER_CLIENT: '0' },
});
t.teardown(() => stack.stop());

const corpus = hostileCorpus(SEED);
const inspectors = Object.fromEntries(SERVICES.map((name) => [name, inspectorUrl(stack.logs(name))]));
const pids = Object.fromEntries(SERVICES.map((name) => [name, stack.pid(name)]));

async function memory(): Promise<Record<string, MemoryAfterGc>> {
  const entries = await Promise.all(
    SERVICES.map(async (name) => {
      const url = inspectors[name];
      if (!url) throw new Error(`${name} printed no inspector address`);
      return [name, await memoryAfterGc(url)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

async function healthy(): Promise<Record<string, boolean>> {
  const urls: Record<string, string> = Object.fromEntries(SERVICES.map((name) => [name, `http://127.0.0.1:${stack.ports[name]}/healthz`]));
  const entries = await Promise.all(
    SERVICES.map(async (name) => {
      const ok = await fetch(urls[name] ?? '', { signal: AbortSignal.timeout(5_000) }).then((r) => r.ok, () => false);
      return [name, ok] as const;
    }),
  );
  return Object.fromEntries(entries);
}

t.test(`a corpus of ${corpus.length} generated malformed inputs is refused, and every service stays up`, async (t) => {
  const before = await memory();
  const slow = startSlowClients(stack.ports.gateway, 20);
  // While the slow clients hold their sockets (they are cut at the 15 s header timeout at the
  // earliest), the gateway still answers everyone else.
  await new Promise((r) => setTimeout(r, 2_000));
  const servedDuringSlow = (await fetch(`${stack.gatewayUrl}/api/status`)).ok && (await slow.openNow()) > 0;
  const verdicts = await runCorpus(corpus, { ports: stack.ports, scanner: stack.keyScanner, hangMs: HANG_MS }, 12);
  const slowResult = await slow.finish();
  t.comment(`slow clients: ${JSON.stringify(slowResult)}`);
  const counts = tally(verdicts);
  const failures = verdicts.filter((v) => 'failed' in v);
  t.same(failures.slice(0, 20), [], `no input accepted, answered 5xx, hung or leaked (${failures.length} failed)`);
  t.ok(counts.inputsTried !== undefined && counts.inputsTried >= 1_000, `at least 1,000 inputs tried (${counts.inputsTried})`);

  const health = await healthy();
  const samePids = SERVICES.every((name) => stack.pid(name) === pids[name]);
  t.same(health, Object.fromEntries(SERVICES.map((n) => [n, true])), 'every service answers /healthz afterwards');
  t.ok(samePids, 'no service was restarted');
  t.ok(servedDuringSlow, 'the gateway answered others while slow clients trickled');
  t.equal(slowResult.stillOpen, 0, `every slow client was cut by the server (${slowResult.cutMsMax} ms at most)`);

  const after = await memory();
  const heapGrowth = Object.fromEntries(SERVICES.map((n) => [n, (after[n]?.heapUsedBytes ?? 0) - (before[n]?.heapUsedBytes ?? 0)]));
  for (const name of SERVICES) {
    t.ok((heapGrowth[name] ?? 0) < HEAP_SLACK_BYTES, `${name}: heap after GC back near its baseline (${Math.round((heapGrowth[name] ?? 0) / 1024)} KiB above)`);
  }
  const crashes = SERVICES.filter((n) => !health[n] || stack.pid(n) !== pids[n]).length;
  const mib = (bytes: number | undefined) => Math.round(((bytes ?? 0) / 1024 / 1024) * 10) / 10;
  await recordReliability({
    id: 'hostile/corpus',
    section: 'hostile',
    title: `${counts.inputsTried} generated malformed inputs (seed ${SEED}) against every HTTP route, both WebSocket endpoints, SDP, uploads and headers of all four services`,
    figures: {
      ...counts,
      crashes,
      hangs: counts.failed_hang ?? 0,
      answered5xx: counts.failed_5xx ?? 0,
      slowClients: slowResult.clients,
      slowClientsCut: slowResult.clients - slowResult.stillOpen,
      slowClientCutMsMax: slowResult.cutMsMax,
      ...Object.fromEntries(SERVICES.flatMap((n) => [
        [`${n}HeapMiBBefore`, mib(before[n]?.heapUsedBytes)],
        [`${n}HeapMiBAfter`, mib(after[n]?.heapUsedBytes)],
        [`${n}RssMiBBefore`, mib(before[n]?.rssBytes)],
        [`${n}RssMiBAfter`, mib(after[n]?.rssBytes)],
      ])),
    },
    passed: failures.length === 0 && crashes === 0 && slowResult.stillOpen === 0,
  });
  if (failures.length > 0) t.comment(failures.map((f) => JSON.stringify(f).slice(0, 400)).join('\n'));
});
