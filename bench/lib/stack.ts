import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, SERVICES } from '../../scripts/lib/stack.js';
import { startStack, type Stack, type StackOptions } from '../../test/helpers/stack.js';
import { ScenarioSkipped } from './scenario.js';
import { onPath } from './system.js';

/**
 * The whole system for a scenario: a real nats-server, the provider simulator and the four built
 * services as processes, with logging at `warn` so that no log line sits on the measured path.
 */

const BUILT = [...Object.values(SERVICES), 'tools/provider-sim/dist/server.js'];
const ATTEMPTS = 3;

/** Skips the scenario, rather than failing it, when what the stack needs is not there. */
export function requireStack(): void {
  if (!onPath('nats-server')) throw new ScenarioSkipped('nats-server is not on PATH (Debian: apt-get install nats-server)');
  const missing = BUILT.filter((entry) => !existsSync(join(REPO_ROOT, entry)));
  if (missing.length > 0) throw new ScenarioSkipped(`not built: ${missing.join(', ')} (run npm run build)`);
}

export async function startBenchStack(options: StackOptions = {}): Promise<Stack> {
  requireStack();
  for (let attempt = 1; ; attempt++) {
    const stack = await startStack({ ...options, env: { LOG_LEVEL: 'warn', ...options.env } });
    // `freePort` hands out ports that were free a moment ago; two services can be given the same
    // one, and the gateway's readiness check then passes against the other service's /readyz.
    const ports = Object.values(stack.ports);
    if (new Set(ports).size === ports.length) return stack;
    await stack.stop();
    if (attempt >= ATTEMPTS) throw new Error(`the stack got a port twice in ${ATTEMPTS} attempts: ${JSON.stringify(stack.ports)}`);
  }
}

/** Runs `body` against a fresh stack and always stops the stack afterwards. */
export async function withStack<T>(options: StackOptions, body: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await startBenchStack(options);
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}
