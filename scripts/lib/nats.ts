import { mkdirSync } from 'node:fs';
import { connect } from 'nats';
import { spawnManaged, type ManagedProcess } from './processes.js';

/** What answers at a NATS URL: a server with JetStream (what the services need), one without, or none. */
export async function natsAt(url: string, timeoutMs = 1_000): Promise<'jetstream' | 'no-jetstream' | 'none'> {
  try {
    const nc = await connect({ servers: url, timeout: timeoutMs, maxReconnectAttempts: 0, reconnect: false });
    const jetstream = Boolean((nc.info as { jetstream?: boolean } | undefined)?.jetstream);
    await nc.close();
    return jetstream ? 'jetstream' : 'no-jetstream';
  } catch {
    return 'none';
  }
}

/** True when a NATS server answers at `url` with JetStream enabled. */
export async function natsWithJetStream(url: string, timeoutMs = 1_000): Promise<boolean> {
  return (await natsAt(url, timeoutMs)) === 'jetstream';
}

/** Starts `nats-server` with JetStream, its data under `dataDir`, and waits until it answers. */
export async function startNatsServer(options: {
  binary: string;
  port: number;
  dataDir: string;
  detached?: boolean;
  onLine: (line: string) => void;
}): Promise<ManagedProcess> {
  mkdirSync(options.dataDir, { recursive: true });
  const proc = spawnManaged({
    name: 'nats',
    command: options.binary,
    args: ['-a', '127.0.0.1', '-p', String(options.port), '-js', '-sd', options.dataDir],
    env: process.env,
    detached: options.detached ?? false,
    onLine: options.onLine,
  });
  const url = `nats://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await natsWithJetStream(url, 500)) return proc;
    if (proc.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.stop();
  throw new Error(`nats-server did not start on port ${options.port}`);
}
