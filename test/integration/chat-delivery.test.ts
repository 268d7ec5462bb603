import t from 'tap';
import WebSocket from 'ws';
import type { TurnChunk, TurnStarted, WsServerEvent } from '@voxgate/protocol';
import { spawnService } from '../../scripts/lib/stack.js';
import { fakeAnswer, startFakeLlmText } from '../../services/gateway/test/fake-llm-text.js';
import { answerText, pollTurn, readSse } from '../../services/gateway/test/sse-client.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';

// The gateway alone against a real NATS, with a stand-in for llm-text's side of the contract.
const stack = await startStack({ services: ['gateway'], simulator: false, waitReady: false });
t.teardown(() => stack.stop());
const fake = await startFakeLlmText(stack.nats.url);
t.teardown(() => fake.close());
const base = stack.gatewayUrl;
await waitFor('gateway up', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));

const chat = (model: string, text: string, accept = 'application/json', signal?: AbortSignal) =>
  fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify({ model, message: { role: 'user', content: [{ type: 'text', text }] } }),
    ...(signal ? { signal } : {}),
  });

const expectContiguous = (t: { same: (a: unknown, b: unknown, m: string) => unknown }, chunks: TurnChunk[], from = 1) =>
  t.same(
    chunks.map((c) => c.seq),
    chunks.map((_, i) => from + i),
    'chunks numbered without gap or duplicate',
  );

t.test('JSON start, then polling gives the whole answer', async (t) => {
  const response = await chat('fake-fast', 'hello');
  t.equal(response.status, 200);
  const started = (await response.json()) as TurnStarted;
  t.match(started, { turnId: /^[A-Za-z0-9_-]{8,64}$/, conversationId: /.+/ });
  t.equal(fake.starts.at(-1)?.mode, 'conversation');
  const chunks = await pollTurn(base, started.turnId);
  expectContiguous(t, chunks);
  t.equal(answerText(chunks), fakeAnswer('hello').join(''));
  t.has(chunks.at(-1), { type: 'done', finishReason: 'stop' });

  const none = await (await fetch(`${base}/api/turns/${started.turnId}?after=${chunks.length}`)).json();
  t.same(none, { turnId: started.turnId, chunks: [], finished: true }, 'nothing after the last chunk, finished');
});

t.test('SSE on the same request: turn, chunks with ids, ends after done; equals the polled text', async (t) => {
  const response = await chat('fake-slow', 'stream me', 'text/event-stream');
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/event-stream/);
  const events: { event: string; id: string | undefined; data: unknown }[] = [];
  await readSse(response, (e) => void events.push({ event: e.event, id: e.id, data: JSON.parse(e.data) }));
  t.equal(events[0]?.event, 'turn');
  const started = events[0]?.data as TurnStarted;
  const chunks = events.slice(1).map((e) => e.data as TurnChunk);
  t.ok(events.slice(1).every((e) => e.event === 'chunk' && e.id === String((e.data as TurnChunk).seq)), 'event: chunk, id: seq');
  expectContiguous(t, chunks);
  t.equal(chunks.at(-1)?.type, 'done', 'the stream ends with done');
  const polled = await pollTurn(base, started.turnId);
  t.equal(answerText(chunks), answerText(polled));
  t.equal(answerText(chunks), fakeAnswer('stream me').join(''));
});

t.test('a stream cut mid-answer, resumed by polling after N: identical text, no gap, no duplicate', async (t) => {
  const abort = new AbortController();
  const response = await chat('fake-slow', 'cut me', 'text/event-stream', abort.signal);
  let turnId = '';
  const received: TurnChunk[] = [];
  await readSse(response, (e) => {
    if (e.event === 'turn') turnId = (JSON.parse(e.data) as TurnStarted).turnId;
    else received.push(JSON.parse(e.data) as TurnChunk);
    return received.length < 4;
  });
  abort.abort();
  t.equal(received.length, 4);
  const last = received.at(-1)?.seq ?? 0;
  const rest = await pollTurn(base, turnId, last);
  const all = [...received, ...rest];
  expectContiguous(t, all);
  t.equal(answerText(all), fakeAnswer('cut me').join(''));
  t.equal(all.at(-1)?.type, 'done', 'the turn went on after the client left');
});

t.test('Last-Event-ID resumes the SSE stream of a turn', async (t) => {
  const started = (await (await chat('fake-slow', 'resume me')).json()) as TurnStarted;
  const response = await fetch(`${base}/api/turns/${started.turnId}/stream`, { headers: { 'last-event-id': '3' } });
  t.equal(response.status, 200);
  const chunks: TurnChunk[] = [];
  await readSse(response, (e) => void chunks.push(JSON.parse(e.data) as TurnChunk));
  expectContiguous(t, chunks, 4);
  const all = await pollTurn(base, started.turnId);
  t.equal(answerText(chunks), answerText(all.filter((c) => c.seq > 3)));
  t.equal((await fetch(`${base}/api/turns/unknownturn123/stream`)).status, 404);
});

t.test('two gateway replicas: stream from one, poll from the other', async (t) => {
  const port = await freePort();
  const second = spawnService('gateway', { label: 'gateway-2', port, env: stack.env, onLine: () => {} });
  t.teardown(() => second.stop());
  const other = `http://127.0.0.1:${port}`;
  await waitFor('second gateway', async () => ((await fetch(`${other}/healthz`)).ok ? true : undefined));
  const response = await chat('fake-slow', 'two replicas', 'text/event-stream');
  let turnId = '';
  const streamed: TurnChunk[] = [];
  const polledMidway: TurnChunk[] = [];
  await readSse(response, (e) => {
    if (e.event === 'turn') turnId = (JSON.parse(e.data) as TurnStarted).turnId;
    else streamed.push(JSON.parse(e.data) as TurnChunk);
    return undefined;
  });
  polledMidway.push(...(await pollTurn(other, turnId)));
  t.same(polledMidway, streamed, 'the other replica serves the same chunks');
});

t.test('stop: 200 while running, 409 once ended', async (t) => {
  const started = (await (await chat('fake-slow', 'stop me')).json()) as TurnStarted;
  await waitFor('first delta', async () => {
    const body = (await (await fetch(`${base}/api/turns/${started.turnId}`)).json()) as { chunks: TurnChunk[] };
    return body.chunks.some((c) => c.type === 'delta') ? true : undefined;
  });
  const stop = await fetch(`${base}/api/turns/${started.turnId}/stop`, { method: 'POST' });
  t.equal(stop.status, 200);
  t.same(await stop.json(), { stopped: true });
  const chunks = await pollTurn(base, started.turnId);
  t.has(chunks.at(-1), { type: 'done', finishReason: 'stopped' });
  const again = await fetch(`${base}/api/turns/${started.turnId}/stop`, { method: 'POST' });
  t.equal(again.status, 409);
  t.has(await again.json(), { error: { code: 'turn_not_running' } });
});

t.test('polling: unknown turn 404, bad cursor 400', async (t) => {
  const unknown = await fetch(`${base}/api/turns/nosuchturn1234`);
  t.equal(unknown.status, 404);
  t.has(await unknown.json(), { error: { code: 'turn_not_found' } });
  const bad = await fetch(`${base}/api/turns/nosuchturn1234?after=-1`);
  t.equal(bad.status, 400);
  t.has(await bad.json(), { error: { code: 'invalid_request' } });
});

t.test('a failed turn ends with its error chunk, partial text kept', async (t) => {
  const started = (await (await chat('fake-fail', 'fail')).json()) as TurnStarted;
  const chunks = await pollTurn(base, started.turnId);
  t.has(chunks.at(-1), { type: 'error', code: 'upstream_unavailable', retryable: true });
  t.equal(answerText(chunks), fakeAnswer('fail').slice(0, 3).join(''));
});

t.test('WebSocket: subscribe gets the chunks, bad frames get error events, foreign origins are refused', async (t) => {
  const url = `${base.replace('http', 'ws')}/api/ws`;
  const refused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(url, { headers: { origin: 'https://evil.example' } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => {});
  });
  t.equal(refused, 403, 'a foreign Origin is refused at upgrade');

  const ws = new WebSocket(url, { headers: { origin: base } });
  t.teardown(() => ws.close());
  const events: WsServerEvent[] = [];
  ws.on('message', (data) => events.push(JSON.parse(String(data)) as WsServerEvent));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send('not json');
  ws.send(JSON.stringify({ type: 'turn.subscribe', turnId: '../../x' }));
  ws.send(JSON.stringify({ type: 'nonsense' }));
  ws.send(Buffer.from([1, 2, 3]), { binary: true });
  await waitFor('four error events', () => (events.filter((e) => e.type === 'error').length >= 4 ? true : undefined));
  t.ok(events.every((e) => e.type === 'error' && e.code === 'invalid_frame'), 'each bad frame gets invalid_frame');

  const started = (await (await chat('fake-slow', 'over ws')).json()) as TurnStarted;
  ws.send(JSON.stringify({ type: 'turn.subscribe', turnId: started.turnId, after: 0 }));
  const chunks = await waitFor('the turn over ws', () => {
    const mine = events.flatMap((e) => (e.type === 'turn.chunk' && e.turnId === started.turnId ? [e.chunk] : []));
    return mine.at(-1)?.type === 'done' ? mine : undefined;
  });
  expectContiguous(t, chunks);
  t.equal(answerText(chunks), fakeAnswer('over ws').join(''));

  ws.send(JSON.stringify({ type: 'turn.subscribe', turnId: 'nosuchturn1234' }));
  await waitFor('turn_not_found', () => (events.some((e) => e.type === 'error' && e.code === 'turn_not_found') ? true : undefined));
  t.equal(ws.readyState, WebSocket.OPEN, 'the socket stays open through all of it');
});

t.test('conversations over NATS: list, get, rename, delete', async (t) => {
  const started = (await (await chat('fake-fast', 'remember')).json()) as TurnStarted;
  const id = started.conversationId;
  const list = (await (await fetch(`${base}/api/conversations`)).json()) as { conversations: { id: string }[] };
  t.ok(list.conversations.some((c) => c.id === id));
  t.has(await (await fetch(`${base}/api/conversations/${id}`)).json(), { id, turns: [] });
  const renamed = await fetch(`${base}/api/conversations/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: '新的标题' }),
  });
  t.equal(renamed.status, 200);
  t.has(await renamed.json(), { id, title: '新的标题' });
  const badRename = await fetch(`${base}/api/conversations/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"title":""}' });
  t.equal(badRename.status, 400);
  t.equal((await fetch(`${base}/api/conversations/${id}`, { method: 'DELETE' })).status, 204);
  const gone = await fetch(`${base}/api/conversations/${id}`);
  t.equal(gone.status, 404);
  t.has(await gone.json(), { error: { code: 'conversation_not_found' } });
});
