import { WebSocket, type RawData } from 'ws';
import type { KeyScanner } from '../helpers/key-scanner.js';
import type { HostileCase, HttpCase, Target } from './hostile-corpus.js';
import { sendRaw } from './hostile-http.js';
import type { WsCase, WsFrame } from './hostile-ws-corpus.js';

/** How one input was refused, or how it was not. */
export type Verdict =
  | { input: string; refusedBy: '4xx'; status: number }
  | { input: string; refusedBy: 'ws-error' }
  | { input: string; refusedBy: 'close'; code?: number }
  | { input: string; failed: 'hang' | 'accepted' | '5xx' | 'leak' | 'stack' | 'unclean-close'; detail: string };

export interface RunContext {
  readonly ports: Record<Target, number>;
  readonly scanner: KeyScanner;
  /** An input not answered in this long counts as a hang. */
  readonly hangMs: number;
}

/** What a stack trace or a machine path in a body looks like. */
const STACK = /\n\s+at [^\n]+:\d+:\d+|node:internal|node_modules\/|file:\/\/\//;

function checkBody(input: string, text: string, scanner: KeyScanner): Verdict | undefined {
  if (!scanner.scan(text, input)) return { input, failed: 'leak', detail: 'a provider key in the answer' };
  if (STACK.test(text)) return { input, failed: 'stack', detail: text.slice(0, 300) };
  return undefined;
}

async function runHttp(c: HttpCase, ctx: RunContext): Promise<Verdict> {
  const outcome = await sendRaw(ctx.ports[c.target], c.request, ctx.hangMs);
  if (outcome.kind === 'hang') return { input: c.id, failed: 'hang', detail: `no answer in ${ctx.hangMs} ms` };
  if (outcome.kind === 'closed') {
    return c.mayClose ? { input: c.id, refusedBy: 'close' } : { input: c.id, failed: 'unclean-close', detail: `closed without an answer (${outcome.error ?? 'end'})` };
  }
  const bad = checkBody(c.id, `${outcome.headers}\r\n\r\n${outcome.body.toString('latin1')}`, ctx.scanner);
  if (bad) return bad;
  if (outcome.status >= 500) return { input: c.id, failed: '5xx', detail: `${outcome.status} ${outcome.body.toString('utf8').slice(0, 200)}` };
  if (outcome.status < 400) return { input: c.id, failed: 'accepted', detail: `${outcome.status} ${outcome.body.toString('utf8').slice(0, 200)}` };
  return { input: c.id, refusedBy: '4xx', status: outcome.status };
}

const isErrorEvent = (text: string): boolean => {
  try {
    return (JSON.parse(text) as { type?: unknown }).type === 'error';
  } catch {
    return false;
  }
};

/** Opens the socket as a good client would, then sends each frame and waits for its refusal. */
async function runWs(c: WsCase, ctx: RunContext): Promise<Verdict[]> {
  const base = `ws://127.0.0.1:${ctx.ports[c.target]}`;
  const headers = c.origin === 'own' ? { Origin: base.replace('ws:', 'http:') } : {};
  const ws = new WebSocket(`${base}${c.path}`, { headers, perMessageDeflate: false, handshakeTimeout: ctx.hangMs, maxPayload: 64 * 1024 * 1024 });
  const frameId = (f: WsFrame) => `${c.id}/${f.name}`;
  const errors: string[] = [];
  let closed: { code: number } | undefined;
  let wake: () => void = () => {};
  ws.on('message', (data: RawData) => {
    const text = String(data);
    if (!ctx.scanner.scan(text, c.id)) errors.push('leak');
    if (isErrorEvent(text)) errors.push(text);
    wake();
  });
  ws.on('close', (code) => {
    closed = { code };
    wake();
  });
  ws.on('error', () => wake());
  const opened = await new Promise<string | undefined>((resolve) => {
    ws.once('open', () => resolve(undefined));
    ws.once('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
    ws.once('error', (e) => resolve(e.message));
  });
  if (opened !== undefined) return c.frames.map((f) => ({ input: frameId(f), failed: 'accepted', detail: `the route did not open for a good handshake: ${opened}` }));
  const verdicts: Verdict[] = [];
  for (const frame of c.frames) {
    const input = frameId(frame);
    if (closed) {
      verdicts.push({ input, failed: 'unclean-close', detail: `closed (${closed.code}) before this frame` });
      continue;
    }
    const before = errors.length;
    ws.send(frame.data, { binary: frame.binary ?? false });
    const deadline = Date.now() + ctx.hangMs;
    while (errors.length === before && !closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
    const answer = errors[before];
    // Set by the close handler while this loop waited.
    const closedBy = closed as { code: number } | undefined;
    if (answer === 'leak' || (answer !== undefined && !ctx.scanner.scan(answer, input))) verdicts.push({ input, failed: 'leak', detail: 'a provider key in a frame' });
    else if (answer !== undefined && STACK.test(answer)) verdicts.push({ input, failed: 'stack', detail: answer.slice(0, 300) });
    else if (answer !== undefined && frame.expect === 'error') verdicts.push({ input, refusedBy: 'ws-error' });
    else if (closedBy && typeof frame.expect === 'object' && closedBy.code === frame.expect.close) verdicts.push({ input, refusedBy: 'close', code: closedBy.code });
    else if (closedBy) verdicts.push({ input, failed: 'unclean-close', detail: `closed with ${closedBy.code}, expected ${JSON.stringify(frame.expect)}` });
    else if (answer !== undefined) verdicts.push({ input, failed: 'accepted', detail: `an error event where a close ${JSON.stringify(frame.expect)} was due` });
    else verdicts.push({ input, failed: 'hang', detail: `neither an error event nor a close in ${ctx.hangMs} ms` });
  }
  ws.terminate();
  return verdicts;
}

/** Runs every case, `concurrency` at a time; a WebSocket case gives one verdict per frame. */
export async function runCorpus(cases: readonly HostileCase[], ctx: RunContext, concurrency: number): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      if (c === undefined) break;
      if (c.kind === 'http') verdicts.push(await runHttp(c, ctx));
      else verdicts.push(...(await runWs(c, ctx)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return verdicts;
}

/** The report's counts: tried, refused each way, and every failure kind. */
export function tally(verdicts: readonly Verdict[]): Record<string, number> {
  const counts: Record<string, number> = { inputsTried: verdicts.length, refusedBy4xx: 0, refusedByWsErrorEvent: 0, refusedByClose: 0 };
  for (const v of verdicts) {
    if ('refusedBy' in v) {
      const key = v.refusedBy === '4xx' ? 'refusedBy4xx' : v.refusedBy === 'ws-error' ? 'refusedByWsErrorEvent' : 'refusedByClose';
      counts[key] = (counts[key] ?? 0) + 1;
    } else {
      const key = `failed_${v.failed}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}
