import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import t from 'tap';
import { providerSim } from '../src/app.js';
import { EventClient, refusedUpgrade } from './helpers/realtime.js';
import { startSim } from './helpers/sim.js';

const sim = await startSim(t, { realtimePace: 'fast' });
const openaiUrl = `${sim.url.replace(/^http/, 'ws')}/openai/v1/realtime?model=gpt-realtime`;
const zhipuUrl = `${sim.url.replace(/^http/, 'ws')}/zhipu/api/paas/v4/realtime`;
const auth = { headers: { authorization: 'Bearer k' } };
const realtime = async () => (await (await fetch(`${sim.url}/_sim/realtime`)).json()) as { open: { openai: number; zhipu: number; total: number }; sessions: { open: boolean; fault?: string }[] };

t.test('realtime_refuse: the next upgrade gets 429 or 503 in the provider shape, then sockets open again', async (t) => {
  await sim.fault({ provider: 'openai', kind: 'realtime_refuse', statusCode: 429, retryAfterSeconds: 2 });
  const refused = await refusedUpgrade(openaiUrl, auth);
  t.has(refused, { status: 429, body: { error: { code: 'rate_limit_exceeded' } }, headers: { 'retry-after': '2' } });
  await sim.fault({ provider: 'zhipu', kind: 'realtime_refuse' });
  t.has(await refusedUpgrade(zhipuUrl, auth), { status: 503, body: { error: { code: '500' } } });
  const client = await EventClient.connect(openaiUrl, auth);
  await client.next('session.created');
  client.close();
  await client.closed;
});

t.test('realtime faults are not taken by HTTP requests, nor HTTP faults by sockets', async (t) => {
  await sim.fault({ provider: 'openai', kind: 'realtime_refuse' });
  const answer = await new OpenAI({ apiKey: 'k', baseURL: sim.openaiBase }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  t.ok(answer.choices[0]?.message.content);
  t.match(await refusedUpgrade(openaiUrl, auth), { status: 503 });
  await sim.fault({ provider: 'openai', kind: 'server_error' });
  const client = await EventClient.connect(openaiUrl, auth);
  await client.next('session.created');
  client.close();
  await sim.reset();
});

t.test('realtime_drop_after_ms cuts the socket without a close frame; /_sim/realtime counts open sockets', async (t) => {
  await sim.fault({ provider: 'zhipu', kind: 'realtime_drop_after_ms', delayMs: 150 });
  const dropped = await EventClient.connect(zhipuUrl, auth);
  const kept = await EventClient.connect(openaiUrl, auth);
  await kept.next('session.created');
  t.match((await realtime()).open, { openai: 1, zhipu: 1, total: 2 });
  t.equal((await dropped.closed).code, 1006, 'abnormal closure');
  t.match((await realtime()).open, { openai: 1, zhipu: 0 });
  t.ok((await realtime()).sessions.some((s) => !s.open && s.fault === 'realtime_drop_after_ms'));
  kept.close();
  await kept.closed;
  await new Promise((r) => setTimeout(r, 50));
  t.match((await realtime()).open, { total: 0 }, 'closed sockets are no longer counted');
  const requests = await sim.requests('zhipu');
  t.ok(requests.every((r) => r.path === '/zhipu/api/paas/v4/realtime' && r.authPresent), 'upgrades appear in the request log, without keys');
  t.notMatch(JSON.stringify(await realtime()), 'Bearer');
});

t.test('the official SDK client (OpenAIRealtimeWS, which always uses wss:) against the simulator over TLS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  const app = Fastify({ https: { key: readFileSync(join(dir, 'key.pem')), cert } });
  await app.register(providerSim, { realtimePace: 'fast' });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const client = new OpenAI({ apiKey: 'sk-sdk', baseURL: `${base}/openai/v1` });
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca: cert } }, client);
  const types: string[] = [];
  const done = new Promise<unknown>((resolve, reject) => {
    rt.on('event', (event) => types.push(event.type));
    rt.on('error', reject);
    rt.on('response.done', (event) => resolve(event.response));
  });
  await new Promise<void>((resolve) => rt.socket.once('open', () => resolve()));
  rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['audio'] } });
  rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi from the SDK' }] } });
  rt.send({ type: 'response.create' });
  t.match(await done, { status: 'completed', usage: { output_tokens: Number } });
  t.ok(types.includes('session.created') && types.includes('response.output_audio.delta'));
  rt.close();
});
