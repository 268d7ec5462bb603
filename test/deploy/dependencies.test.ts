import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { WebSocketServer } from 'ws';
import { HTTP_SERVER_LIMITS, MAX_HEADERS_COUNT } from '../../packages/service-kit/src/http.js';
import { recordReliability } from '../helpers/reliability.js';

// What the services run on: no known high or critical advisory in production dependencies, and
// `ws` past the header-flood crash (CVE-2024-37890, fixed in 8.17.1).

const root = fileURLToPath(new URL('../..', import.meta.url));
const WS_FIXED = [8, 17, 1];
const npm = (args: string[]) => spawnSync('npm', args, { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_fund: 'false' } });

const atLeast = (version: string, floor: number[]) => {
  const parts = version.split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) if ((parts[i] ?? 0) !== floor[i]) return (parts[i] ?? 0) > (floor[i] ?? 0);
  return true;
};

interface LsNode {
  version?: string;
  dependencies?: Record<string, LsNode>;
}

const figures: Record<string, number | string | boolean> = {};

t.test('every installed ws has the header-flood fix', async (t) => {
  const ls = npm(['ls', 'ws', '--all', '--json']);
  const tree = JSON.parse(ls.stdout || '{}') as LsNode;
  const versions = new Set<string>();
  const walk = (node: LsNode) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (name === 'ws' && child.version) versions.add(child.version);
      walk(child);
    }
  };
  walk(tree);
  t.ok(versions.size > 0, 'ws is installed');
  for (const version of versions) t.ok(atLeast(version, WS_FIXED), `ws ${version} >= ${WS_FIXED.join('.')}`);
  figures.wsVersions = [...versions].join(', ');
});

t.test('an upgrade with more headers than the servers read is refused, and the server lives on', async (t) => {
  const server = createServer({ ...HTTP_SERVER_LIMITS });
  server.maxHeadersCount = MAX_HEADERS_COUNT;
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => ws.close()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as { port: number }).port;
  const flood = Array.from({ length: MAX_HEADERS_COUNT + 50 }, (_, i) => `x-filler-${i}: ${i}`).join('\r\n');
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${flood}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
  });
  t.match(answer, /^HTTP\/1\.1 (400|431) /, 'refused with 400 or 431, not a crash');
  const healthy = await new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
  t.ok(healthy, 'the server still accepts connections');
});

t.test('npm audit --omit=dev: no high or critical advisory', async (t) => {
  const audit = npm(['audit', '--omit=dev', '--json']);
  let report: { metadata?: { vulnerabilities?: Record<string, number> }; error?: { summary?: string }; message?: string; statusCode?: number } = {};
  try {
    report = JSON.parse(audit.stdout || '{}');
  } catch {
    // not JSON: no answer worth reading
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts) {
    const why = report.message ?? report.error?.summary ?? (audit.error ? String(audit.error) : `exit ${audit.status}`);
    figures.auditRan = false;
    t.pass(`npm audit got no advisory data from the registry (${why.slice(0, 160)}); run it where the registry answers`, { skip: true });
    return;
  }
  figures.auditRan = true;
  figures.auditHigh = counts.high ?? 0;
  figures.auditCritical = counts.critical ?? 0;
  figures.auditModerate = counts.moderate ?? 0;
  t.equal(counts.high ?? 0, 0, 'no high advisory');
  t.equal(counts.critical ?? 0, 0, 'no critical advisory');
});

t.teardown(() =>
  recordReliability({
    id: 'access/dependencies',
    section: 'access',
    title: 'Installed ws versions against the header-flood fix, and npm audit of production dependencies',
    figures,
    passed: t.passing(),
  }),
);
