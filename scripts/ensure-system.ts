/**
 * Before `npm test`: the system programs the tests run for real. Installs what is missing with
 * apt when run as root on Debian/Ubuntu; otherwise names each missing one in a single line.
 */
import { ensureCommand, installHint } from './lib/system.js';

const NEEDED = [
  { command: 'nats-server', debPackage: 'nats-server', why: 'the integration tests run a real NATS', required: true },
  { command: 'chromium', debPackage: 'chromium', why: 'the browser tests drive Chromium', required: true },
  { command: 'docker-compose', debPackage: 'docker-compose', why: 'the deployment test checks docker-compose.yml', required: true },
  // The realtime browser test speaks into the fake microphone with real speech when it can,
  // and falls back to a synthesized hum without them.
  { command: 'espeak-ng', debPackage: 'espeak-ng', why: 'speech for the fake microphone', required: false },
  { command: 'sox', debPackage: 'sox', why: 'converting that speech', required: false },
];

const missing = NEEDED.filter((n) => !ensureCommand(n.command, n.debPackage));
for (const n of missing) process.stderr.write(`${installHint(n.command, n.debPackage)} (${n.why})\n`);
process.exit(missing.some((n) => n.required) ? 1 : 0);
