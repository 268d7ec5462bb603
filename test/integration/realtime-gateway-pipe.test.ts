import { get as httpsGet } from 'node:https';
import { networkInterfaces } from 'node:os';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import t from 'tap';
import { WebSocket } from 'ws';
import { spawnService } from '../../scripts/lib/stack.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';
import { selfSignedCertificate } from '../helpers/tls.js';
import { logRecords, RealtimeClient, tryUpgrade } from './realtime-gateway-helpers.js';

// The gateway's realtime WebSockets against real processes: gateway → realtime-relay → simulator.

const API_KEY = 'test-key-realtime-1';
const PAGE_ORIGIN = 'http://voxgate.test';
const stack = await startStack({ env: { API_KEYS: API_KEY, ALLOWED_ORIGINS: PAGE_ORIGIN } });
t.teardown(() => stack.stop());
const wsBase = stack.gatewayUrl.replace(/^http/, 'ws');
const page = (model: string) => `${wsBase}/api/realtime/ws?model=${encodeURIComponent(model)}`;
const v1 = (model: string) => `${wsBase}/v1/realtime?model=${encodeURIComponent(model)}`;
const bearer = { Authorization: `Bearer ${API_KEY}` };

// The relay registers once it listens; the catalogue answers before that.
const catalogue = (await (await fetch(`${stack.gatewayUrl}/api/models`)).json()) as { models: { id: string; kind: string; transports: string[] }[] };
const realtimeModel = catalogue.models.find((m) => m.kind === 'realtime' && m.transports.includes('websocket'))?.id ?? 'gpt-realtime';
const textModel = catalogue.models.find((m) => m.kind === 'text')?.id ?? 'gpt-4o-mini';
await waitFor('a relay in the registry', async () => {
  const outcome = await tryUpgrade(v1(realtimeModel), { headers: bearer });
  if ('ws' in outcome) {
    outcome.ws.close();
    return true;
  }
  return undefined;
});

t.test('the page path with an allowed Origin: GA events with the simulator through the relay', async (t) => {
  const client = await RealtimeClient.open(page(realtimeModel), { headers: { Origin: PAGE_ORIGIN } });
  t.teardown(() => client.close());
  const delta = await client.askForAudio('hello there');
  t.type(delta.delta, 'string', 'an audio delta, base64');
  t.ok(Buffer.from(String(delta.delta), 'base64').length > 0);
  await client.next('response.done');
  client.send({ type: 'no.such.event' });
  t.has(await client.next('error'), { type: 'error' }, 'bad input reaches the relay, which answers with an error event');
  t.ok(client.open, 'and the session goes on');
});

t.test('the page path refuses a foreign or missing Origin with 403', async (t) => {
  t.has(await tryUpgrade(page(realtimeModel), { headers: { Origin: 'http://evil.test' } }), {
    status: 403,
    body: { error: { code: 'forbidden_origin' } },
  });
  t.has(await tryUpgrade(page(realtimeModel)), { status: 403, body: { error: { code: 'forbidden_origin' } } }, 'no Origin at all');
});

t.test('/v1/realtime needs an API key; the key is not passed on', async (t) => {
  t.has(await tryUpgrade(v1(realtimeModel)), { status: 401, body: { error: { code: 'unauthorized', type: 'authentication_error' } } });
  t.match(await tryUpgrade(v1(realtimeModel), { headers: { Authorization: 'Bearer wrong-key-12345' } }), { status: 401 });
  const client = await RealtimeClient.open(v1(realtimeModel), { headers: bearer });
  t.teardown(() => client.close());
  await client.askForAudio('hi');
  const relayLog = stack.logs('realtime-relay').join('\n');
  t.notOk(relayLog.includes(API_KEY), 'the gateway key never reaches the relay');
});

t.test('bad input is refused at the upgrade with a 4xx', async (t) => {
  const headers = { headers: bearer };
  t.has(await tryUpgrade(v1('no-such-model'), headers), { status: 404, body: { error: { code: 'unknown_model' } } });
  t.has(await tryUpgrade(v1(textModel), headers), { status: 400, body: { error: { code: 'not_realtime_model' } } }, 'a text model');
  t.has(await tryUpgrade(`${wsBase}/v1/realtime`, headers), { status: 400, body: { error: { code: 'invalid_request' } } }, 'no model');
  t.match(await tryUpgrade(v1('x'.repeat(5_000)), headers), { status: 400 }, 'an absurd model id');
  t.has(
    await tryUpgrade(`${v1(realtimeModel)}&conversation_id=${encodeURIComponent('bad id!')}`, headers),
    { status: 400, body: { error: { code: 'invalid_request' } } },
    "the relay's own 4xx reaches the client",
  );
  t.match(await tryUpgrade(`${wsBase}/api/nowhere`, { headers: { Origin: PAGE_ORIGIN } }), { status: 404 }, 'an upgrade nobody serves');
  const push = await tryUpgrade(`${wsBase}/api/ws`, { headers: { Origin: PAGE_ORIGIN } });
  t.equal(push.status, 101, "the page's push channel (/api/ws) still upgrades");
  if ('ws' in push) push.ws.close();
});

t.test('HTTPS/WSS: the official openai SDK realtime client, unchanged, through a self-signed certificate', async (t) => {
  const { certFile, keyFile, ca, cleanup } = selfSignedCertificate();
  t.teardown(cleanup);
  const port = await freePort();
  const gateway = spawnService('gateway', {
    label: 'gateway-tls',
    port,
    env: { ...stack.env, TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile },
    onLine: () => {},
  });
  t.teardown(() => gateway.stop());
  await waitFor('the TLS gateway', () =>
    new Promise<true | undefined>((resolve) => {
      httpsGet(`https://127.0.0.1:${port}/healthz`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? true : undefined);
      }).on('error', () => resolve(undefined));
    }),
  );

  const openai = new OpenAI({ apiKey: API_KEY, baseURL: `https://127.0.0.1:${port}/v1` });
  const rt = new OpenAIRealtimeWS({ model: realtimeModel, options: { ca } }, openai);
  const errors: unknown[] = [];
  rt.on('error', (e) => errors.push(e));
  const session = await new Promise<{ type: string }>((resolve, reject) => {
    rt.on('session.created', resolve);
    rt.socket.once('close', (code: number) => reject(new Error(`closed ${code} before session.created`)));
  });
  t.equal(session.type, 'session.created', 'session.created from the simulator, through gateway and relay');
  const delta = new Promise<{ delta: string }>((resolve) => rt.on('response.output_audio.delta', resolve));
  rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] } });
  rt.send({ type: 'response.create' });
  t.ok(Buffer.from((await delta).delta, 'base64').length > 0, 'response.output_audio.delta arrives');
  rt.close();
  t.same(errors, [], 'no SDK errors');
  t.equal(rt.url.protocol, 'wss:', 'the SDK dialed wss:');
});

t.test('/v1/realtime without API_KEYS answers loopback clients only', async (t) => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
  if (!external) {
    t.pass('skipped: this machine has no external IPv4 address to call from');
    return;
  }
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...stack.env, HOST: '0.0.0.0' };
  delete env.API_KEYS;
  const gateway = spawnService('gateway', { label: 'gateway-open', port, env, onLine: () => {} });
  t.teardown(() => gateway.stop());
  await waitFor('the second gateway', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined));
  const url = (host: string) => `ws://${host}:${port}/v1/realtime?model=${realtimeModel}`;
  t.has(await tryUpgrade(url(external), { localAddress: external }), { status: 403, body: { error: { code: 'loopback_only' } } });
  const local = await tryUpgrade(url('127.0.0.1'));
  t.equal(local.status, 101, 'a loopback program needs no key');
  if ('ws' in local) local.ws.close();
});

t.test('an idle page socket is not cut by the server timeouts', { timeout: 30_000 }, async (t) => {
  const client = await RealtimeClient.open(page(realtimeModel), { headers: { Origin: PAGE_ORIGIN } });
  // The gateway's HTTP connection timeout is 10 s; an upgraded socket must outlive it.
  await new Promise((r) => setTimeout(r, 11_000));
  t.equal(client.ws.readyState, WebSocket.OPEN);
  await client.askForAudio('still there?');
  client.close();
});

t.test('gateway shutdown: piped connections get the grace period, then a shutdown error event and 1001', async (t) => {
  const client = await RealtimeClient.open(page(realtimeModel), { headers: { Origin: PAGE_ORIGIN } });
  const status = stack.stopService('gateway');
  // SHUTDOWN_GRACE_MS is 2 s in the stack: the running session still talks meanwhile.
  await new Promise((r) => setTimeout(r, 200));
  await client.askForAudio('are you still there?');
  t.ok(client.open, 'the session goes on during the grace period');
  const code = await client.closed;
  t.equal(code, 1001, 'a WebSocket close with 1001 (going away), not a cut connection (1006)');
  const notice = client.events.findLast((e) => e.type === 'error') as { error?: { code?: string; type?: string } } | undefined;
  t.has(notice?.error, { code: 'shutting_down', type: 'server_error' }, 'a GA error event says why before the close');
  t.equal(await status, 0, 'the gateway exits cleanly');
  await waitFor('the relay to end the session', () => {
    const closed = logRecords(stack.logs('realtime-relay'), 'realtime session closed').find((r) => r.closeCode === 1001 && r.reason === 'client_closed');
    return closed ? true : undefined;
  });
  t.pass('the relay saw a 1001 close from the gateway and ended the session');
});
