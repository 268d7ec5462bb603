import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian puts daemons in sbin, which a non-root PATH often lacks. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The full path of `command`, or undefined when it is not installed. */
export function findCommand(command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

let aptUpdated = false;

/**
 * Finds `command`, installing Debian's `debPackage` with apt when it is missing and we are root.
 * Otherwise returns undefined; the caller says in one line how to install it.
 */
export function ensureCommand(command: string, debPackage: string): string | undefined {
  const found = findCommand(command);
  if (found) return found;
  return aptInstall(command, debPackage) ? findCommand(command) : undefined;
}

/**
 * Whether a Chinese font is installed: without one, Chromium draws the page's Chinese UI as empty
 * boxes in the screenshots the browser tests save (the tests themselves read text, not pixels).
 */
export function hasChineseFont(): boolean {
  if (!findCommand('fc-list')) return false;
  const probe = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim() !== '';
}

/** Installs Debian's `debPackage` with apt when we are root; false when we cannot or it failed. */
export function aptInstall(what: string, debPackage: string): boolean {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !findCommand('apt-get')) return false;
  process.stderr.write(`${what} is missing: installing Debian's ${debPackage} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    aptUpdated = true;
  }
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', debPackage], { stdio: 'inherit', env });
  return result.status === 0;
}

/** The one line a user reads when a system package is missing and we could not install it. */
export function installHint(command: string, debPackage: string, alternative?: string): string {
  const alt = alternative ? `, or ${alternative}` : '';
  return `${command} not found: install it with \`sudo apt-get install ${debPackage}\` (Debian/Ubuntu)${alt}`;
}

/** Output of `command --version`-style probes, for the start banner. */
export function versionOf(path: string, args: string[] = ['--version']): string {
  try {
    return execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0] ?? '';
  } catch {
    return '';
  }
}
