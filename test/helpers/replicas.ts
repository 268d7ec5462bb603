import type { ManagedProcess } from '../../scripts/lib/processes.js';
import { type ServiceKey, spawnService } from '../../scripts/lib/stack.js';
import { freePort } from './ports.js';
import type { Stack } from './stack.js';

/** One more instance of a service beside a stack's own, on a free port, with the stack's environment. */
export interface Replica {
  readonly label: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`: its health and metrics. */
  readonly url: string;
  readonly proc: ManagedProcess;
  /** Every line it wrote. */
  readonly logs: string[];
}

/** Starts a replica; the caller stops it (`proc.stop()`) or kills it (`proc.kill()`). */
export async function startReplica(stack: Stack, service: ServiceKey, label: string): Promise<Replica> {
  const port = await freePort();
  const logs: string[] = [];
  const proc = spawnService(service, { label, port, env: stack.env, onLine: (_name, line) => void logs.push(line) });
  return { label, port, url: `http://127.0.0.1:${port}`, proc, logs };
}
