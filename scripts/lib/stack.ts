import { fileURLToPath } from 'node:url';
import { spawnManaged, type ManagedProcess } from './processes.js';

/** The repository root, from this file's place in it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The four services, by the name they register under, and where their built entry lives. */
export const SERVICES = {
  gateway: 'services/gateway/dist/server.js',
  session: 'services/session/dist/server.js',
  'llm-text': 'services/llm-text/dist/server.js',
  'realtime-relay': 'services/realtime-relay/dist/server.js',
} as const;
export type ServiceKey = keyof typeof SERVICES;

/** Variables that say a real provider is configured; with none set, `npm start` uses the simulator. */
export const PROVIDER_KEYS = ['OPENAI_API_KEY', 'GEMINI_API_KEY', 'ZHIPU_API_KEY'] as const;

export function hasProviderKey(env: NodeJS.ProcessEnv): boolean {
  return PROVIDER_KEYS.some((k) => (env[k] ?? '').trim() !== '');
}

/**
 * Node flags for a service: with `VOXGATE_CPU_PROFILE_DIR` set, each service writes a V8 CPU
 * profile (`<name>-<pid>.cpuprofile`, for Chrome's DevTools) into that folder when it exits, to see
 * where a bench scenario's time goes. Passed on the command line: Node refuses `--cpu-prof` in
 * `NODE_OPTIONS`.
 */
function nodeFlags(name: string): string[] {
  const dir = process.env.VOXGATE_CPU_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}-\${pid}.cpuprofile`] : [];
}

/** Starts one service's built entry with `PORT` set; logs go to `onLine`. */
export function spawnService(
  service: ServiceKey,
  options: {
    label?: string;
    port: number;
    env: NodeJS.ProcessEnv;
    detached?: boolean;
    onLine: (name: string, line: string) => void;
  },
): ManagedProcess {
  const name = options.label ?? service;
  return spawnManaged({
    name,
    command: process.execPath,
    args: [...nodeFlags(name), SERVICES[service]],
    cwd: REPO_ROOT,
    env: { ...options.env, PORT: String(options.port) },
    detached: options.detached ?? false,
    onLine: (line) => options.onLine(name, line),
  });
}

export interface RunningSimulator {
  readonly url: string;
  readonly proc: ManagedProcess;
}

/** Starts the provider simulator (port 0: any free one) and learns its URL from its first line. */
export async function startSimulator(options: {
  port: number;
  env: NodeJS.ProcessEnv;
  detached?: boolean;
  onLine: (name: string, line: string) => void;
}): Promise<RunningSimulator> {
  let announce: (url: string) => void = () => {};
  const announced = new Promise<string>((resolve) => {
    announce = resolve;
  });
  const proc = spawnManaged({
    name: 'provider-sim',
    command: process.execPath,
    args: ['tools/provider-sim/dist/server.js'],
    cwd: REPO_ROOT,
    env: { ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
    detached: options.detached ?? false,
    onLine: (line) => {
      const url = /"url":"(http:\/\/[^"]+)"/.exec(line)?.[1];
      if (url) announce(url);
      options.onLine('provider-sim', line);
    },
  });
  const url = await Promise.race([
    announced,
    proc.exited.then((code) => Promise.reject(new Error(`provider simulator exited (${code}) before listening`))),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('provider simulator did not start in 15 s')), 15_000)),
  ]);
  return { url, proc };
}

/** What points every service at the simulator and makes them label their models as simulated. */
export function simulatorEnv(simulatorUrl: string): Record<string, string> {
  const ws = simulatorUrl.replace(/^http/, 'ws');
  return {
    PROVIDER_SIMULATOR: 'true',
    OPENAI_API_KEY: 'sim-openai-key',
    OPENAI_BASE_URL: `${simulatorUrl}/openai/v1`,
    OPENAI_REALTIME_URL: `${ws}/openai/v1/realtime`,
    GEMINI_API_KEY: 'sim-gemini-key',
    GEMINI_BASE_URL: `${simulatorUrl}/gemini`,
    GEMINI_LIVE_URL: `${ws}/gemini/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent`,
    ZHIPU_API_KEY: 'sim-zhipu-key',
    ZHIPU_BASE_URL: `${simulatorUrl}/zhipu/api/paas/v4`,
    ZHIPU_REALTIME_URL: `${ws}/zhipu/api/paas/v4/realtime`,
  };
}

/** Polls `url` (read again each time: a service may have moved) until it answers 200; false if not by `timeoutMs`. */
export async function waitUntilReady(url: string | (() => string), timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(typeof url === 'string' ? url : url(), { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
