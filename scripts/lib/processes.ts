import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child process the runner or a test owns, with its output handed over line by line. */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited after `deadlineMs`. Safe to call twice. */
  stop(deadlineMs?: number): Promise<number | string>;
  /** SIGKILL at once: how a crash looks to the rest of the system. */
  kill(): Promise<number | string>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Own process group: a terminal's Ctrl-C then reaches only the runner, which stops its
   * children one by one in its own order instead of all at once.
   */
  detached?: boolean;
  /** Every line the process writes to stdout or stderr. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

export function spawnManaged(options: SpawnOptions): ManagedProcess {
  const child = spawn(options.command, options.args, {
    env: options.env,
    cwd: options.cwd,
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = child[stream];
    if (source) createInterface({ input: source }).on('line', (line) => options.onLine(line, stream));
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', () => resolve('spawn-error'));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name: options.name,
    child,
    exited,
    async stop(deadlineMs = 15_000) {
      if (running()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => running() && child.kill('SIGKILL'), deadlineMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
    async kill() {
      if (running()) child.kill('SIGKILL');
      return exited;
    },
  };
}
