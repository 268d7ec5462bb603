import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT, SERVICES, type ServiceKey } from '../../scripts/lib/stack.js';
import { startNatsServer } from '../helpers/nats-server.js';

/** Starts a service with `env` and returns how it ended; a bad config must end it before NATS. */
function run(service: ServiceKey, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [SERVICES[service]], {
    cwd: REPO_ROOT,
    // An unreachable NATS: if config were accepted, the service would hang waiting, and the
    // timeout below would say so. Generous, as a start on a busy machine can take seconds.
    env: { PATH: process.env.PATH ?? '', NATS_URL: 'nats://127.0.0.1:1', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

const cases: [ServiceKey, Record<string, string>, RegExp][] = [
  ['gateway', { PORT: 'abc' }, /^invalid configuration: PORT .*integer from 0 to 65535/],
  ['session', { PORT: '70000' }, /^invalid configuration: PORT /],
  ['llm-text', { NATS_URL: 'not a url' }, /^invalid configuration: NATS_URL must be a comma-separated list of nats: or tls: or ws: or wss: URLs/],
  ['realtime-relay', { OPENAI_REALTIME_URL: 'https://api.openai.com/v1/realtime' }, /^invalid configuration: OPENAI_REALTIME_URL must be a ws: or wss: URL/],
  ['llm-text', { HTTPS_PROXY: 'socks://127.0.0.1:7890' }, /^invalid configuration: HTTPS_PROXY must be a http: or https: URL/],
  ['gateway', { LOG_LEVEL: 'loud' }, /^invalid configuration: LOG_LEVEL .*one of fatal, error, warn, info, debug, trace, silent/],
  ['gateway', { TLS_CERT_FILE: 'cert.pem' }, /^invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE must be set together/],
  ['gateway', { ALLOWED_ORIGINS: 'example.com' }, /^invalid configuration: ALLOWED_ORIGINS /],
  ['realtime-relay', { RELAY_MAX_SESSIONS: '0' }, /^invalid configuration: RELAY_MAX_SESSIONS /],
  ['session', { PROVIDER_SIMULATOR: 'maybe' }, /^invalid configuration: PROVIDER_SIMULATOR .*true or false/],
];

for (const [service, env, message] of cases) {
  t.test(`${service} refuses ${Object.keys(env).join(', ')}`, async (t) => {
    const { status, stderr } = run(service, env);
    t.equal(status, 1, 'exits with status 1');
    const lines = stderr.trim().split('\n');
    t.equal(lines.length, 1, 'says it in one line');
    t.match(lines[0], message);
  });
}

t.test('a malformed MODELS_FILE stops llm-text with one line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-models-'));
  const file = join(dir, 'models.json');
  writeFileSync(file, JSON.stringify({ servers: [{ id: 'ollama', baseUrl: 'ftp://x', models: [{ id: 'llama3' }] }] }));
  const bad = run('llm-text', { MODELS_FILE: file });
  t.equal(bad.status, 1);
  t.match(bad.stderr.trim(), /^invalid configuration: MODELS_FILE \/servers\/0\/baseUrl/);
  writeFileSync(file, '{ not json');
  t.match(run('llm-text', { MODELS_FILE: file }).stderr.trim(), /^invalid configuration: MODELS_FILE not valid JSON$/);
  t.match(run('llm-text', { MODELS_FILE: join(dir, 'absent.json') }).stderr.trim(), /^invalid configuration: MODELS_FILE cannot be read \(ENOENT\)$/);
});

t.test('a key given in a bad variable is never echoed', async (t) => {
  const { stderr } = run('llm-text', { OPENAI_API_KEY: 'sk-secret-value-1234', OPENAI_BASE_URL: 'sk-secret-value-1234' });
  t.notMatch(stderr, /sk-secret/);
  t.match(stderr, /OPENAI_BASE_URL/);
});

t.test('a port another process holds stops a service with one line, not a stack trace', async (t) => {
  const nats = await startNatsServer();
  t.teardown(() => nats.dispose());
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.teardown(() => holder.close());
  const port = (holder.address() as AddressInfo).port;
  const { status, stderr } = run('session', { NATS_URL: nats.url, PORT: String(port) });
  t.equal(status, 1, 'exits with status 1');
  t.same(stderr.trim().split('\n'), [`cannot listen on 127.0.0.1:${port} (EADDRINUSE): another process holds the port; stop it or set PORT`]);
});
