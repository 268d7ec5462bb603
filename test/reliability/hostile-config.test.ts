import { spawn } from 'node:child_process';
import t from 'tap';
import { REPO_ROOT, SERVICES, type ServiceKey } from '../../scripts/lib/stack.js';
import { recordReliability } from '../helpers/reliability.js';

/**
 * A service that accepts its config goes on to this unreachable NATS and logs (on stdout) that it
 * is waiting for it; a refused config ends the process before any log line.
 */
const UNREACHABLE_NATS = 'nats://127.0.0.1:1';
/** Neither an exit nor a log line by then: the start hung. Generous, as starts are slow on a busy machine. */
const HANG_MS = 60_000;

const HUGE = 'x'.repeat(100_000);

/**
 * One value of each kind of mistake per service: numbers that are not integers or out of range,
 * ports, URLs of the wrong scheme or shape, enums, files, a line break (log injection), 100 kB.
 * Each start costs a whole process start, so the list is kept to one of each kind.
 */
const CASES: { service: ServiceKey; name: string; value: string }[] = [
  { service: 'gateway', name: 'PORT', value: 'abc' },
  { service: 'gateway', name: 'LOG_LEVEL', value: 'info\nfake log line' },
  { service: 'gateway', name: 'SERVICE_PING_INTERVAL_MS', value: '0x10' },
  { service: 'gateway', name: 'SERVICE_PING_INTERVAL_MS', value: HUGE },
  { service: 'gateway', name: 'NATS_REQUEST_TIMEOUT_MS', value: '999999999' },
  { service: 'gateway', name: 'ALLOWED_ORIGINS', value: '*' },
  { service: 'gateway', name: 'HTTPS_PROXY', value: 'javascript:alert(1)' },
  { service: 'gateway', name: 'API_KEYS', value: 'short' },
  { service: 'session', name: 'PORT', value: '80 80' },
  { service: 'session', name: 'CLIENT_SECRET_MAX_TTL_S', value: '7201' },
  { service: 'session', name: 'PROVIDER_SIMULATOR', value: 'maybe' },
  { service: 'session', name: 'OPENAI_BASE_URL', value: HUGE },
  { service: 'session', name: 'MAX_LIVE_CALLS', value: '0' },
  { service: 'llm-text', name: 'NATS_URL', value: 'http://127.0.0.1:4222' },
  { service: 'llm-text', name: 'UPSTREAM_MAX_RETRIES', value: 'lots' },
  { service: 'llm-text', name: 'MAX_OUTPUT_TOKENS', value: '1.5' },
  { service: 'llm-text', name: 'UPSTREAM_DEADLINE_MS', value: '\u0663\u0660' },
  { service: 'llm-text', name: 'GEMINI_BASE_URL', value: 'ftp://example.com' },
  { service: 'llm-text', name: 'MODELS_FILE', value: '/nonexistent/models.json' },
  { service: 'realtime-relay', name: 'RELAY_MAX_SESSIONS', value: '1e999' },
  { service: 'realtime-relay', name: 'RELAY_IDLE_TIMEOUT_MS', value: '-1' },
  { service: 'realtime-relay', name: 'OPENAI_REALTIME_URL', value: 'https://api.openai.com/v1/realtime' },
  { service: 'realtime-relay', name: 'ZHIPU_REALTIME_URL', value: 'ws://' },
  { service: 'realtime-relay', name: 'RELAY_CLIENT_BUFFER_MAX_BYTES', value: '-1' },
];

interface Run {
  /** The exit code, or `accepted` when it logged as a started service does, or `hung`. */
  status: number | string | null;
  stderr: string;
}

function run(service: ServiceKey, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVICES[service]], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', NATS_URL: UNREACHABLE_NATS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let verdict: string | undefined;
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const stop = (why: string) => {
      verdict ??= why;
      child.kill('SIGKILL');
    };
    child.stdout?.once('data', () => stop('accepted'));
    const timer = setTimeout(() => stop('hung'), HANG_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: verdict ?? code ?? signal, stderr });
    });
  });
}

const cases = CASES;
// 24 whole process starts: about a minute here, and more when the machine is busy with other tests.
t.setTimeout(240_000);

t.test(`${cases.length} malformed config values: each stops its service with one line naming the variable`, async (t) => {
  const problems: string[] = [];
  let refused = 0;
  let notRefused = 0;
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      if (c === undefined) break;
      const { status, stderr } = await run(c.service, { [c.name]: c.value });
      const lines = stderr.trim().split('\n');
      const what = `${c.service} ${c.name}=${JSON.stringify(c.value.slice(0, 30))}`;
      if (status === 'accepted' || status === 'hung') {
        notRefused += 1;
        problems.push(`${what}: ${status}`);
      } else if (status !== 1 || lines.length !== 1 || !lines[0]?.startsWith(`invalid configuration: ${c.name}`) || (lines[0]?.length ?? 0) > 400) {
        problems.push(`${what}: exit ${status}, ${lines.length} line(s): ${stderr.slice(0, 200)}`);
      } else refused += 1;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  if (problems.length > 0) t.comment(problems.join('\n'));
  t.same(problems, [], 'every value refused with status 1 and one short line naming the variable');
  await recordReliability({
    id: 'hostile/config',
    section: 'hostile',
    title: `${cases.length} malformed configuration values (numbers, ports, URLs, enums, a file, a line break, 100 kB values) given to the four services at start-up`,
    figures: { valuesTried: cases.length, refusedWithOneLine: refused, acceptedOrHung: notRefused, otherFailures: problems.length - notRefused },
    passed: problems.length === 0,
  });
});
