/**
 * Process entry: `PORT` (default 8790; 0 picks a free port) and `HOST` (default 127.0.0.1),
 * `SIM_TOKEN_DELAY_MS` (default 0), `SIM_REALTIME_PACE` (`realtime` default, or `fast`),
 * `SIM_GLM_HEARTBEAT_MS` (default 30000) and `LOG_LEVEL` (default warn). Once listening it prints exactly
 * one JSON line to stdout, `{"msg":"provider simulator listening","url":…}`, which callers parse to
 * learn the port; logs go to stderr so that line stays alone.
 */

import { buildSimulator, REALTIME_PACES, type RealtimePace } from './app.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const SHUTDOWN_DEADLINE_MS = 5_000;

function fail(message: string): never {
  process.stderr.write(`provider-sim: ${message}\n`);
  process.exit(1);
}

function integerEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) fail(`${name} must be an integer from 0 to ${max}`);
  return Number(raw);
}

const port = integerEnv('PORT', 8790, 65_535);
const host = process.env.HOST?.trim() || '127.0.0.1';
const tokenDelayMs = integerEnv('SIM_TOKEN_DELAY_MS', 0, 60_000);
const realtimePace = (process.env.SIM_REALTIME_PACE?.trim() || 'realtime') as RealtimePace;
if (!REALTIME_PACES.includes(realtimePace)) fail(`SIM_REALTIME_PACE must be one of ${REALTIME_PACES.join(', ')}`);
const zhipuHeartbeatMs = integerEnv('SIM_GLM_HEARTBEAT_MS', 30_000, 3_600_000);
if (zhipuHeartbeatMs < 100) fail('SIM_GLM_HEARTBEAT_MS must be at least 100');
const level = process.env.LOG_LEVEL?.trim() || 'warn';
if (!LOG_LEVELS.includes(level)) fail(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

const app = buildSimulator({ tokenDelayMs, realtimePace, zhipuHeartbeatMs }, { logger: { level, stream: process.stderr } });

let closing = false;
function close(signal: NodeJS.Signals): void {
  if (closing) process.exit(1); // a second signal: stop waiting
  closing = true;
  app.log.info({ signal }, 'provider simulator closing');
  setTimeout(() => fail(`did not close within ${SHUTDOWN_DEADLINE_MS} ms`), SHUTDOWN_DEADLINE_MS).unref();
  app.close().catch((error: unknown) => fail(`close failed: ${error instanceof Error ? error.message : String(error)}`));
}
process.on('SIGINT', close);
process.on('SIGTERM', close);

try {
  await app.listen({ port, host });
} catch (error) {
  fail(`could not listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
}
const address = app.server.address();
const boundPort = typeof address === 'object' && address !== null ? address.port : port;
const urlHost = host.includes(':') ? `[${host}]` : host;
process.stdout.write(`${JSON.stringify({ msg: 'provider simulator listening', url: `http://${urlHost}:${boundPort}` })}\n`);
