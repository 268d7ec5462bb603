/**
 * Before `npm test`: the system programs the tests run for real. Installs what is missing with
 * apt when run as root on Debian/Ubuntu; otherwise names each missing one in a single line.
 */
import { aptInstall, ensureCommand, hasChineseFont, installHint } from './lib/system.js';

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
if (!hasChineseFont() && !(aptInstall('a Chinese font', 'fonts-noto-cjk') && hasChineseFont())) {
  process.stderr.write('no Chinese font: install it with `sudo apt-get install fonts-noto-cjk` (the zh screenshots need it)\n');
}
process.exit(missing.some((n) => n.required) ? 1 : 0);
