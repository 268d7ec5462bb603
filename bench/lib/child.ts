import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Servers under load run in their own process, so the load generator in the parent does not share
 * their event loop. A child reports readiness (and e.g. its port) with `reportReady`, and exits by
 * itself when the parent goes away, so a crashed run leaves nothing behind.
 */

interface ReadyMessage<Info> {
  readonly ready: Info;
}

export interface ChildServer<Info> {
  readonly info: Info;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Starts `entry` (a .ts file run through the same tsx loader as the parent) and waits for its ready message. */
export async function startChild<Info>(entry: URL, args: readonly string[], timeoutMs = 15_000): Promise<ChildServer<Info>> {
  // fork inherits the parent's execArgv, which carries the tsx loader, and its Node binary.
  const child: ChildProcess = fork(fileURLToPath(entry), [...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry.pathname} not ready within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (message: ReadyMessage<Info>) => {
      clearTimeout(timer);
      resolve(message.ready);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry.pathname} exited with ${code} before it was ready`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    info,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Called by a child once it serves: hands `info` to the parent and ties the child's life to it. */
export function reportReady(info: unknown): void {
  if (!process.send) throw new Error('this file runs as a child of bench/run.ts');
  process.once('disconnect', () => process.exit(0));
  process.send({ ready: info });
}
