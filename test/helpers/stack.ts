import { randomBytes } from 'node:crypto';
import type { ManagedProcess } from '../../scripts/lib/processes.js';
import {
  PROVIDER_KEYS,
  simulatorEnv,
  spawnService,
  startSimulator,
  waitUntilReady,
  type RunningSimulator,
  type ServiceKey,
} from '../../scripts/lib/stack.js';
import { KeyScanner } from './key-scanner.js';
import { startNatsServer, type NatsServerHandle } from './nats-server.js';
import { freePorts } from './ports.js';

const ALL: ServiceKey[] = ['session', 'llm-text', 'realtime-relay', 'gateway'];

/** The whole system on free ports, as real processes, for one test file. */
export interface Stack {
  readonly gatewayUrl: string;
  readonly nats: NatsServerHandle;
  readonly simulatorUrl: string | undefined;
  readonly ports: Record<ServiceKey, number>;
  /** The environment every service was started with (NATS_URL, simulator URLs, the test's extras). */
  readonly env: NodeJS.ProcessEnv;
  /** Lines each process wrote, for assertions on logs and for failure reports. */
  logs(name: string): string[];
  /**
   * Every log line of every service is scanned for the configured provider keys; `stop()` fails
   * (and with it the test file) when one appeared. Tests scan what they receive with it too.
   */
  readonly keyScanner: KeyScanner;
  /** The process id of a running service, to check that it is still the same process. */
  pid(name: ServiceKey): number | undefined;
  /** SIGTERM: the service shuts down as it would in production. */
  stopService(name: ServiceKey): Promise<number | string>;
  /** SIGKILL: the service vanishes as in a crash. */
  killService(name: ServiceKey): Promise<number | string>;
  /** Starts the service again with the same port and environment. */
  startService(name: ServiceKey): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Extra environment for every service (e.g. a proxy). */
  env?: Record<string, string>;
  /** Which services to start; all four by default. */
  services?: ServiceKey[];
  /** Point the providers at the simulator (default true). */
  simulator?: boolean;
  /** Wait for the gateway's `/readyz` to be 200 (default true when the gateway is started). */
  waitReady?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const nats = await startNatsServer();
  const lines = new Map<string, string[]>();
  let scanner: KeyScanner | undefined;
  const onLine = (name: string, line: string) => {
    // The simulator is the provider: the keys are its to see.
    if (name !== 'provider-sim') scanner?.scan(line, `log of ${name}`);
    const list = lines.get(name) ?? [];
    list.push(line);
    if (list.length > 5_000) list.shift();
    lines.set(name, list);
  };
  let simulator: RunningSimulator | undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: nats.url,
    LOG_LEVEL: 'info',
    SERVICE_PING_INTERVAL_MS: '500',
    SHUTDOWN_GRACE_MS: '2000',
  };
  // A developer's own keys must not leak into tests that expect the simulator.
  for (const key of ['OPENAI_API_KEY', 'GEMINI_API_KEY', 'ZHIPU_API_KEY', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
    delete env[key];
  }
  // The test's extras reach the simulator too (its pace, its log level).
  Object.assign(env, options.env);
  if (options.simulator ?? true) {
    simulator = await startSimulator({ port: 0, env, onLine });
    Object.assign(env, simulatorEnv(simulator.url), distinctiveKeys(), options.env);
  }
  scanner = new KeyScanner(Object.fromEntries(PROVIDER_KEYS.map((k) => [k, env[k]])));
  const keyScanner = scanner;
  const ports = {} as Record<ServiceKey, number>;
  const chosen = await freePorts(ALL.length);
  ALL.forEach((name, i) => {
    ports[name] = chosen[i] ?? 0;
  });
  const running = new Map<ServiceKey, ManagedProcess>();
  let starting = true;
  const portMoves = new Map<ServiceKey, number>();
  const start = (name: ServiceKey) => {
    const proc = spawnService(name, { port: ports[name], env, onLine });
    running.set(name, proc);
    // A port found free can be taken before the service binds it (another test file's outgoing
    // connection gets it as its local port): at start, the service moves to another free port.
    void proc.exited.then(async () => {
      const moves = portMoves.get(name) ?? 0;
      if (!starting || running.get(name) !== proc || moves >= 3) return;
      if (!(lines.get(name) ?? []).some((line) => line.includes('EADDRINUSE'))) return;
      portMoves.set(name, moves + 1);
      const [port] = await freePorts(1);
      ports[name] = port ?? 0;
      start(name);
    });
  };
  const wanted = options.services ?? ALL;
  for (const name of wanted) start(name);

  const stack: Stack = {
    get gatewayUrl() {
      return `http://127.0.0.1:${ports.gateway}`;
    },
    nats,
    simulatorUrl: simulator?.url,
    ports,
    env,
    logs: (name) => lines.get(name) ?? [],
    keyScanner,
    pid: (name) => running.get(name)?.child.pid,
    async stopService(name) {
      const proc = running.get(name);
      running.delete(name);
      return proc ? proc.stop() : 'not running';
    },
    async killService(name) {
      const proc = running.get(name);
      running.delete(name);
      return proc ? proc.kill() : 'not running';
    },
    async startService(name) {
      if (!running.has(name)) start(name);
    },
    async stop() {
      for (const name of [...ALL].reverse()) await stack.stopService(name);
      await simulator?.proc.stop();
      await nats.dispose();
      const leaks = keyScanner.findings().filter((f) => f.where.startsWith('log of '));
      if (leaks.length > 0) {
        const first = leaks[0];
        throw new Error(`a provider key appeared in ${leaks.length} log line(s); first, in the ${first?.where}: ${first?.excerpt}`);
      }
    },
  };
  if (wanted.includes('gateway') && (options.waitReady ?? true)) {
    // Generous: two test files share two cores, and a busy neighbour slows every start.
    if (!(await waitUntilReady(() => `${stack.gatewayUrl}/readyz`, 60_000))) {
      const tail = ALL.map((n) => `${n}: ${(lines.get(n) ?? []).slice(-3).join(' | ')}`).join('\n');
      await stack.stop();
      throw new Error(`the stack did not become ready in 60 s\n${tail}`);
    }
  }
  starting = false;
  return stack;
}

/**
 * Keys no test could mistake for anything else, new for every stack, in each provider's own shape,
 * so that the key scanner finds any of them wherever it turns up.
 */
function distinctiveKeys(): Record<(typeof PROVIDER_KEYS)[number], string> {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  return {
    OPENAI_API_KEY: `sk-vgtest-openai-${hex(16)}`,
    GEMINI_API_KEY: `AIzaVgtestGemini${hex(12)}`,
    ZHIPU_API_KEY: `${hex(16)}.vgtestZhipu${hex(4)}`,
  };
}
