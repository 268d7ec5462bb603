import t, { type Test } from 'tap';
import WebSocket from 'ws';
import type { TurnChunk, TurnStarted, WsServerEvent } from '@voxgate/protocol';
import { waitFor } from '../../../test/helpers/ports.js';
import { startStack } from '../../../test/helpers/stack.js';
import { fakeAnswer, startFakeLlmText } from './fake-llm-text.js';
import { answerText, pollTurn } from './sse-client.js';

// The page's push channel (`GET /api/ws`) beyond a first subscription: moving a cursor, leaving a
// turn, the per-socket cap, resuming on another socket and frames over the limit. The gateway
// alone against a real NATS, with the fake llm-text answering at 40 ms a token.
const stack = await startStack({ services: ['gateway'], simulator: false, waitReady: false });
t.teardown(() => stack.stop());
const fake = await startFakeLlmText(stack.nats.url);
t.teardown(() => fake.close());
const base = stack.gatewayUrl;
const wsUrl = `${base.replace('http', 'ws')}/api/ws`;
await waitFor('gateway up', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));

/** A user text the fake answers in about `tokens` tokens: long enough to act while it streams. */
const longText = (tokens: number) => Array.from({ length: tokens }, (_, i) => `w${i}`).join(' ');

async function startTurn(text: string): Promise<string> {
  const response = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'fake-slow', message: { role: 'user', content: [{ type: 'text', text }] } }),
  });
  if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as TurnStarted).turnId;
}

interface Socket {
  ws: WebSocket;
  events: WsServerEvent[];
  closed: Promise<number>;
  send(event: unknown): void;
  /** The chunks this socket received for the turn, in the order they came. */
  chunks(turnId: string): TurnChunk[];
  errors(turnId?: string): Extract<WsServerEvent, { type: 'error' }>[];
}

async function openSocket(t: Test): Promise<Socket> {
  const ws = new WebSocket(wsUrl, { headers: { origin: base } });
  const events: WsServerEvent[] = [];
  ws.on('message', (data) => events.push(JSON.parse(String(data)) as WsServerEvent));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  t.teardown(() => ws.close());
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    events,
    closed,
    send: (event) => ws.send(typeof event === 'string' ? event : JSON.stringify(event)),
    chunks: (turnId) => events.flatMap((e) => (e.type === 'turn.chunk' && e.turnId === turnId ? [e.chunk] : [])),
    errors: (turnId) => events.flatMap((e) => (e.type === 'error' && (turnId === undefined || e.turnId === turnId) ? [e] : [])),
  };
}

const seqs = (chunks: TurnChunk[]) => chunks.map((c) => c.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ended = (chunks: TurnChunk[]) => chunks.at(-1)?.type === 'done';

t.test('subscribing again moves the cursor: the new subscription sends from there, the old one stops', async (t) => {
  const socket = await openSocket(t);
  const text = longText(40);
  const turnId = await startTurn(text);
  socket.send({ type: 'turn.subscribe', turnId, after: 0 });
  await waitFor('six chunks', () => (socket.chunks(turnId).length >= 6 ? true : undefined));
  socket.send({ type: 'turn.subscribe', turnId, after: 2 });
  const chunks = await waitFor('the turn over ws', () => (ended(socket.chunks(turnId)) ? socket.chunks(turnId) : undefined));
  // What the old subscription sent before the frame was read, then the new one from chunk 3.
  const restart = chunks.findIndex((c, i) => i > 0 && c.seq <= (chunks[i - 1]?.seq ?? 0));
  t.ok(restart >= 6, 'the old subscription ran until the frame');
  t.same(seqs(chunks.slice(0, restart)), range(1, restart), 'the old subscription: 1, 2, … in order');
  const last = chunks.at(-1)?.seq ?? 0;
  t.same(seqs(chunks.slice(restart)), range(3, last), 'the new one: from chunk 3 to the end, each once');
  t.equal(answerText(chunks.slice(restart)), fakeAnswer(text).slice(1).join(''), 'everything after chunk 2');
  t.same(socket.errors(), [], 'no error');
});

t.test('unsubscribing stops the pushes; the turn itself goes on', async (t) => {
  const socket = await openSocket(t);
  const text = longText(30);
  const turnId = await startTurn(text);
  socket.send({ type: 'turn.subscribe', turnId });
  await waitFor('three chunks', () => (socket.chunks(turnId).length >= 3 ? true : undefined));
  socket.send({ type: 'turn.unsubscribe', turnId });
  const polled = await pollTurn(base, turnId);
  t.equal(polled.at(-1)?.type, 'done', 'the turn finished');
  const received = socket.chunks(turnId);
  t.ok(received.length < polled.length - 10, `the socket got ${received.length} of ${polled.length} chunks`);
  t.same(seqs(received), range(1, received.length), 'what came, came in order');
  t.notOk(ended(received), 'the done chunk did not come');
  t.equal(socket.ws.readyState, WebSocket.OPEN);
});

t.test('16 turns per socket: a 17th is refused, while subscribing again to one of the 16 moves its cursor', async (t) => {
  const socket = await openSocket(t);
  const texts = Array.from({ length: 16 }, (_, i) => `${i} ${longText(60)}`);
  const turns = await Promise.all(texts.map(startTurn));
  for (const turnId of turns) socket.send({ type: 'turn.subscribe', turnId });
  await waitFor('every turn streaming', () => (turns.every((id) => socket.chunks(id).length >= 3) ? true : undefined));

  const extra = await startTurn('one too many');
  socket.send({ type: 'turn.subscribe', turnId: extra });
  const refused = await waitFor('the 17th refused', () => socket.errors(extra)[0]);
  t.match(refused, { code: 'invalid_request', message: /At most 16 turns/ }, 'the 17th turn is refused by name');

  const moved = turns[0] ?? '';
  socket.send({ type: 'turn.subscribe', turnId: moved, after: 1 });
  const all = await waitFor('all 16 turns over ws', () => (turns.every((id) => ended(socket.chunks(id))) ? true : undefined), { timeoutMs: 30_000 });
  t.ok(all, 'each of the 16 turns arrived to its done chunk');
  t.same(socket.errors(moved), [], 'subscribing again on a full socket is not refused');
  const chunks = socket.chunks(moved);
  const restart = chunks.findIndex((c, i) => i > 0 && c.seq <= (chunks[i - 1]?.seq ?? 0));
  t.same(seqs(chunks.slice(restart)), range(2, chunks.at(-1)?.seq ?? 0), 'the moved turn: from chunk 2 to its end');
  for (const [i, turnId] of turns.slice(1).entries()) {
    t.equal(answerText(socket.chunks(turnId)), fakeAnswer(texts[i + 1] ?? '').join(''), `turn ${i + 2} whole`);
  }
  t.same(socket.chunks(extra), [], 'the refused turn sent nothing');
  t.equal(socket.ws.readyState, WebSocket.OPEN);
});

t.test('a turn followed on one socket resumes on a new one after the last chunk it got', async (t) => {
  const first = await openSocket(t);
  const text = longText(40);
  const turnId = await startTurn(text);
  first.send({ type: 'turn.subscribe', turnId });
  await waitFor('five chunks', () => (first.chunks(turnId).length >= 5 ? true : undefined));
  first.ws.terminate();
  await first.closed;
  const before = first.chunks(turnId);
  const lastSeen = before.at(-1)?.seq ?? 0;

  const second = await openSocket(t);
  second.send({ type: 'turn.subscribe', turnId, after: lastSeen });
  const after = await waitFor('the rest on the new socket', () => (ended(second.chunks(turnId)) ? second.chunks(turnId) : undefined));
  const all = [...before, ...after];
  t.same(seqs(all), range(1, all.length), 'no gap and no duplicate across the two sockets');
  t.equal(answerText(all), fakeAnswer(text).join(''), 'the whole answer');
});

t.test('a frame over 16 KiB gets an error event and the socket goes on; over the read limit it closes 1009', async (t) => {
  const socket = await openSocket(t);
  socket.send({ type: 'turn.subscribe', turnId: 'x'.repeat(20_000) });
  const refused = await waitFor('the error event', () => socket.errors()[0]);
  t.match(refused, { type: 'error', code: 'frame_too_large', message: /16384 bytes/ });
  t.equal(socket.ws.readyState, WebSocket.OPEN, 'still open');

  const text = 'after the big frame';
  const turnId = await startTurn(text);
  socket.send({ type: 'turn.subscribe', turnId });
  const chunks = await waitFor('the turn over the same socket', () => (ended(socket.chunks(turnId)) ? socket.chunks(turnId) : undefined));
  t.equal(answerText(chunks), fakeAnswer(text).join(''), 'the socket still serves');

  socket.send('x'.repeat(100_000));
  t.equal(await socket.closed, 1009, 'beyond what the gateway reads, ws closes with 1009');
});
