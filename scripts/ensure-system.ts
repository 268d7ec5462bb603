/**
 * Before `npm test`: the system programs the tests run for real. Installs what is missing with
 * apt when run as root on Debian/Ubuntu; otherwise names each missing one in a single line.
 */
import { ensureCommand, installHint } from './lib/system.js';

const NEEDED = [
  { command: 'nats-server', debPackage: 'nats-server', why: 'the integration tests run a real NATS' },
  { command: 'chromium', debPackage: 'chromium', why: 'the browser tests drive Chromium' },
  { command: 'docker-compose', debPackage: 'docker-compose', why: 'the deployment test checks docker-compose.yml' },
];

const missing = NEEDED.filter((n) => !ensureCommand(n.command, n.debPackage));
for (const n of missing) process.stderr.write(`${installHint(n.command, n.debPackage)} (${n.why})\n`);
process.exit(missing.length === 0 ? 0 : 1);
