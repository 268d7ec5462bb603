import t from 'tap';
import { connect, RequestStrategy } from 'nats';
import { DOWNSTREAM_SERVICES, GatewayStatus, ModelCatalogue, ServiceName, createParser } from '@voxgate/protocol';
import { spawnService } from '../../scripts/lib/stack.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';

const stack = await startStack();
t.teardown(() => stack.stop());

t.test('an outside NATS client finds all four services with $SRV.PING', async (t) => {
  const nc = await connect({ servers: stack.nats.url });
  t.teardown(() => nc.close());
  const client = nc.services.client({ strategy: RequestStrategy.Timer, maxWait: 1_000 });
  const names = new Set<string>();
  for await (const answer of await client.ping()) names.add(answer.name);
  t.same([...names].sort(), Object.values(ServiceName).sort());

  const infos = [];
  for await (const info of await client.info(ServiceName.realtimeRelay)) infos.push(info);
  t.equal(infos.length, 1, 'one relay replica');
  t.match(infos[0]?.metadata, { address: /^ws:\/\/127\.0\.0\.1:\d+$/ }, 'the relay says where it can be reached');
  t.ok(infos[0]?.endpoints.some((e) => e.subject === 'voxgate.realtime-relay.models'), 'endpoints are listed');
});

t.test('the gateway is ready and lists each downstream service', async (t) => {
  const response = await fetch(`${stack.gatewayUrl}/readyz`);
  t.equal(response.status, 200);
  const body = createParser(GatewayStatus).parse(await response.json());
  if (!body.ok) throw new Error(body.error);
  t.equal(body.value.nats, 'connected');
  t.same(
    body.value.services.map((s) => [s.name, s.up, s.instances.length]),
    DOWNSTREAM_SERVICES.map((name) => [name, true, 1]),
  );
  t.same(body.value.reasons, []);
});

t.test('the model catalogue is gathered from the services and labelled simulated', async (t) => {
  const response = await fetch(`${stack.gatewayUrl}/api/models`);
  t.equal(response.status, 200);
  const parsed = createParser(ModelCatalogue).parse(await response.json());
  if (!parsed.ok) throw new Error(parsed.error);
  const models = parsed.value.models;
  t.ok(models.length > 0);
  t.ok(models.every((m) => m.simulated), 'every model runs against the simulator');
  const byId = new Map(models.map((m) => [m.id, m]));
  // t.has compares an array only up to the pattern's length: lists are compared whole with t.same.
  t.has(byId.get('gpt-4o-mini'), { provider: 'openai', kind: 'text' }, 'text from llm-text');
  t.same(byId.get('gpt-4o-mini')?.transports, ['http']);
  t.has(byId.get('gemini-2.5-flash'), { provider: 'gemini' });
  t.same(byId.get('gemini-2.5-flash')?.input, ['text', 'image', 'audio']);
  t.has(byId.get('glm-4v-flash'), { provider: 'zhipu' });
  t.same(byId.get('glm-4v-flash')?.input, ['text', 'image'], 'GLM-4V takes images but not audio');
  t.has(byId.get('glm-realtime-flash'), { provider: 'zhipu', kind: 'realtime' });
  t.same(byId.get('glm-realtime-flash')?.transports, ['websocket'], 'GLM-Realtime has no WebRTC');
  t.same(
    [...(byId.get('gpt-realtime')?.transports ?? [])].sort(),
    ['webrtc', 'websocket'],
    'an OpenAI realtime model is offered by the relay and by session, merged into one entry',
  );
  t.equal(new Set(models.map((m) => m.id)).size, models.length, 'ids are unique');
});

t.test('every service answers /healthz, /readyz and /metrics', async (t) => {
  for (const [name, port] of Object.entries(stack.ports)) {
    const base = `http://127.0.0.1:${port}`;
    t.equal((await fetch(`${base}/healthz`)).status, 200, `${name} /healthz`);
    t.equal((await fetch(`${base}/readyz`)).status, 200, `${name} /readyz`);
    const metrics = await fetch(`${base}/metrics`);
    t.match(await metrics.text(), new RegExp(`process_cpu_user_seconds_total\\{service="${name}"\\}`), `${name} /metrics`);
  }
});

t.test('unknown routes and the page', async (t) => {
  const missing = await fetch(`${stack.gatewayUrl}/api/nothing-here`);
  t.equal(missing.status, 404);
  t.has(await missing.json(), { error: { code: 'not_found' } });
  const page = await fetch(`${stack.gatewayUrl}/`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /text\/html/);
});

t.test('a second relay replica beside the first is seen by the gateway with its own address', async (t) => {
  const port = await freePort();
  const second = spawnService('realtime-relay', { label: 'realtime-relay-2', port, env: stack.env, onLine: () => {} });
  t.teardown(() => second.stop());
  const relay = await waitFor('two relay instances', async () => {
    const body = (await (await fetch(`${stack.gatewayUrl}/api/status`)).json()) as GatewayStatus;
    const status = body.services.find((s) => s.name === ServiceName.realtimeRelay);
    return status && status.instances.length === 2 ? status : undefined;
  });
  t.same(
    relay.instances.map((i) => i.metadata.address).sort(),
    [`ws://127.0.0.1:${stack.ports['realtime-relay']}`, `ws://127.0.0.1:${port}`].sort(),
  );
});
