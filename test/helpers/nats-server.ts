import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer as spawnNatsServer } from '../../scripts/lib/nats.js';
import type { ManagedProcess } from '../../scripts/lib/processes.js';
import { findCommand, installHint } from '../../scripts/lib/system.js';
import { freePort } from './ports.js';

/** A real `nats-server` with JetStream that a test owns: its own port and data folder. */
export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM); its JetStream data stays for `start()`. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

export async function startNatsServer(): Promise<NatsServerHandle> {
  const binary = findCommand('nats-server');
  if (!binary) throw new Error(installHint('nats-server', 'nats-server'));
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'voxgate-nats-'));
  const output: string[] = [];
  let proc: ManagedProcess | undefined;
  const start = async () => {
    proc = await spawnNatsServer({ binary, port, dataDir, onLine: (l) => void output.push(l) });
  };
  const stop = async () => {
    await proc?.stop();
    proc = undefined;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    start,
    stop,
    async dispose() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
