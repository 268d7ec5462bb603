/**
 * `npm start`: the whole system in one shell. Uses NATS_URL, else a JetStream NATS on
 * 127.0.0.1:4222, else starts nats-server with its data under .data/; starts the provider
 * simulator when no provider key is configured; starts the four services with their logs
 * prefixed; prints the URL; Ctrl-C stops everything it started, gateway first, NATS last.
 *
 * Options: `--relays N` runs N realtime-relay replicas on consecutive ports from RELAY_PORT,
 * skipping the other services' ports.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatLogLine } from './lib/log-format.js';
import { natsAt, startNatsServer } from './lib/nats.js';
import type { ManagedProcess } from './lib/processes.js';
import { hasProviderKey, REPO_ROOT, simulatorEnv, spawnService, startSimulator, waitUntilReady } from './lib/stack.js';
import { ensureCommand, installHint } from './lib/system.js';

const DEFAULT_NATS_PORT = 4222;
const DEFAULT_NATS = `nats://127.0.0.1:${DEFAULT_NATS_PORT}`;
/** Where our own nats-server goes when a NATS without JetStream holds 4222. */
const NATS_BESIDE_PORT = 4223;

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`invalid configuration: ${name} must be a port number (1-65535)`);
  return port;
}

if (existsSync(join(REPO_ROOT, '.env'))) process.loadEnvFile(join(REPO_ROOT, '.env'));

function parsedArgs() {
  try {
    return parseArgs({ options: { relays: { type: 'string', default: '1' } } }).values;
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)} (the one option is --relays N)`);
  }
}
const args = parsedArgs();
const relayCount = Number(args.relays);
if (!Number.isInteger(relayCount) || relayCount < 1 || relayCount > 16) fail('--relays must be a whole number from 1 to 16');

const ports = {
  gateway: portFrom('GATEWAY_PORT', 1024),
  relay: portFrom('RELAY_PORT', 8765),
  session: portFrom('SESSION_PORT', 8766),
  llmText: portFrom('LLM_TEXT_PORT', 8767),
  simulator: portFrom('SIM_PORT', 8790),
};

/** Relay replicas' ports: consecutive from RELAY_PORT, stepping over a port another process here takes. */
function relayPorts(): number[] {
  const taken = new Set([ports.gateway, ports.session, ports.llmText, ports.simulator]);
  const chosen: number[] = [];
  for (let port = ports.relay; chosen.length < relayCount; port++) {
    if (port > 65535) fail(`invalid configuration: no room for ${relayCount} relay ports from RELAY_PORT ${ports.relay}`);
    if (!taken.has(port)) chosen.push(port);
  }
  return chosen;
}

const colour = process.stdout.isTTY;
const print = (name: string, line: string) => process.stdout.write(`${formatLogLine(name, line, colour)}\n`);
const say = (line: string) => process.stdout.write(`${colour ? '\x1b[1m' : ''}${formatLogLine('voxgate', line, false)}${colour ? '\x1b[0m' : ''}\n`);

// Everything started, in start order; stopped in reverse.
const started: ManagedProcess[] = [];
let stopping = false;
let stoppingSinceMs = 0;
/**
 * A second signal this soon after the first is the same Ctrl-C: tsx's wrapper passes the
 * terminal's SIGINT on to this script although the terminal sent it here too. Exiting on it (as
 * this once did) left the detached services running with nobody to stop them.
 */
const SAME_SIGNAL_MS = 1_000;

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) {
    if (Date.now() - stoppingSinceMs < SAME_SIGNAL_MS) return;
    // Asked again: whatever still runs is killed, but never left behind.
    say('stopping at once');
    await Promise.all(started.map((proc) => proc.kill()));
    process.exit(exitCode);
  }
  stopping = true;
  stoppingSinceMs = Date.now();
  say('stopping…');
  for (const proc of [...started].reverse()) await proc.stop();
  say('stopped');
  process.exit(exitCode);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));

async function resolveNats(): Promise<string> {
  const configured = process.env.NATS_URL?.trim();
  if (configured) return configured;
  const found = await natsAt(DEFAULT_NATS);
  if (found === 'jetstream') {
    say(`using the NATS server at ${DEFAULT_NATS}`);
    return DEFAULT_NATS;
  }
  const binary = ensureCommand('nats-server', 'nats-server');
  if (!binary) fail(installHint('nats-server', 'nats-server', 'set NATS_URL to a NATS server with JetStream'));
  // Debian's nats-server package starts a service on 4222 without JetStream; ours runs beside it.
  const port = found === 'none' ? DEFAULT_NATS_PORT : NATS_BESIDE_PORT;
  if (found === 'no-jetstream') {
    say(`the NATS server at ${DEFAULT_NATS} has no JetStream (Debian's nats-server service runs without it); starting our own on port ${port} (set NATS_URL to use another)`);
  }
  const dataDir = join(REPO_ROOT, '.data', 'nats');
  // Its start-up banner says nothing a user needs; warnings and errors still show.
  say(`starting nats-server on 127.0.0.1:${port} (data in .data/nats)`);
  started.push(await startNatsServer({ binary, port, dataDir, detached: true, onLine: (l) => /\[(WRN|ERR|FTL)\]/.test(l) && print('nats', l) }));
  return `nats://127.0.0.1:${port}`;
}

try {
  const env: NodeJS.ProcessEnv = { ...process.env, NATS_URL: await resolveNats() };
  if (!hasProviderKey(env)) {
    const simulator = await startSimulator({ port: ports.simulator, env, detached: true, onLine: print });
    started.push(simulator.proc);
    Object.assign(env, simulatorEnv(simulator.url));
    // The simulator runs here: a proxy set for the real providers must not carry requests to it.
    const simulatorHost = new URL(simulator.url).hostname;
    for (const name of ['NO_PROXY', 'no_proxy']) env[name] = [env[name], simulatorHost].filter((v) => v !== undefined && v.trim() !== '').join(',');
    say(`no provider key configured: using the provider simulator at ${simulator.url}; every model is labelled simulated`);
  }
  const spawn = (service: Parameters<typeof spawnService>[0], port: number, label?: string) =>
    started.push(spawnService(service, { port, env, detached: true, onLine: print, ...(label ? { label } : {}) }));
  spawn('session', ports.session);
  spawn('llm-text', ports.llmText);
  for (const [i, port] of relayPorts().entries()) spawn('realtime-relay', port, i === 0 ? undefined : `realtime-relay-${i + 1}`);
  spawn('gateway', ports.gateway);
  for (const proc of started) {
    void proc.exited.then((code) => {
      if (!stopping) {
        say(`${proc.name} exited (${code}); stopping everything`);
        void stopAll(1);
      }
    });
  }
  const url = `http://localhost:${ports.gateway}`;
  if (await waitUntilReady(`${url}/readyz`, 60_000)) say(`ready: open ${url}`);
  else say(`${url}/readyz is not 200 after 60 s; the logs above say why`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll(1);
}
