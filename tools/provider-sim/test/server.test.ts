import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';

// The built entry, as `npm start` and other workspaces' tests run it.
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));

t.test('with PORT=0 it prints one JSON line naming its URL, serves, and exits cleanly on SIGTERM', async (t) => {
  const child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  const exited = once(child, 'exit');
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  while (!stdout.includes('\n')) await once(child.stdout, 'data');
  const line = JSON.parse(stdout.split('\n')[0] ?? '') as { msg: string; url: string };
  t.equal(line.msg, 'provider simulator listening');
  t.match(line.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.not(line.url, 'http://127.0.0.1:0');

  const health = await fetch(`${line.url}/healthz`);
  t.equal(health.status, 200);
  // A stalled stream must not keep the process from closing.
  await fetch(`${line.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"stall_before_first_token"}' });
  const stalled = await fetch(`${line.url}/openai/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }),
  });
  t.equal(stalled.status, 200);

  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0);
  t.equal(stdout.trim().split('\n').length, 1, 'stdout held exactly one line');
  await t.rejects(stalled.text(), 'the stalled stream was cut when the simulator closed');
});

t.test('a malformed PORT stops start-up with one clear line', async (t) => {
  const child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.equal(stderr.trim(), 'provider-sim: PORT must be an integer from 0 to 65535');
});
