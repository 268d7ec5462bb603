import WebSocket from 'ws';
import type { ManagedProcess } from '../../../scripts/lib/processes.js';
import { spawnService, waitUntilReady } from '../../../scripts/lib/stack.js';
import { freePort } from '../../../test/helpers/ports.js';

export interface RelayProcess {
  readonly port: number;
  readonly url: string;
  readonly proc: ManagedProcess;
  readonly lines: string[];
}

/** Starts the built relay as a real process and waits until `/readyz` answers 200. */
export async function startRelay(env: Record<string, string>): Promise<RelayProcess> {
  const port = await freePort();
  const lines: string[] = [];
  const proc = spawnService('realtime-relay', {
    port,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '2000', ...env },
    onLine: (_name, line) => void lines.push(line),
  });
  if (!(await waitUntilReady(`http://127.0.0.1:${port}/readyz`, 20_000))) {
    await proc.kill();
    throw new Error(`relay did not become ready:\n${lines.join('\n')}`);
  }
  return { port, url: `ws://127.0.0.1:${port}`, proc, lines };
}

/** A client socket that records every event it receives. */
export interface Client {
  readonly ws: WebSocket;
  readonly events: Record<string, unknown>[];
  readonly raw: string[];
  /** Resolves with the first received event of `type` (waiting for it if needed). */
  next(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  send(event: object | string): void;
}

export async function connectClient(url: string): Promise<Client> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const events: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const waiters: { type: string; resolve: (e: Record<string, unknown>) => void }[] = [];
  ws.on('message', (data) => {
    const text = String(data);
    raw.push(text);
    const event = JSON.parse(text) as Record<string, unknown>;
    events.push(event);
    for (const w of waiters.filter((w) => w.type === event.type)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(event);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('error', reject);
  });
  return {
    ws,
    events,
    raw,
    closed,
    send: (event) => ws.send(typeof event === 'string' ? event : JSON.stringify(event)),
    next(type, timeoutMs = 5_000) {
      const seen = events.find((e) => e.type === type);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms; got ${events.map((e) => e.type).join(', ')}`)), timeoutMs);
        waiters.push({
          type,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
  };
}

/** The HTTP status and JSON body an upgrade was refused with. */
export async function refusedUpgrade(url: string): Promise<{ status: number; body: { error: { code: string } } }> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('upgrade was accepted')));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c) => (text += String(c)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.once('error', () => {});
  });
}
