import t from 'tap';
import { GatewayStatus, createParser } from '@voxgate/protocol';
import { waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';

const stack = await startStack();
t.teardown(() => stack.stop());
const parser = createParser(GatewayStatus);

async function gatewayStatus(): Promise<{ status: number; body: GatewayStatus }> {
  const response = await fetch(`${stack.gatewayUrl}/readyz`);
  const parsed = parser.parse(await response.json());
  if (!parsed.ok) throw new Error(parsed.error);
  return { status: response.status, body: parsed.value };
}

async function readyCodes(): Promise<number[]> {
  return Promise.all(Object.values(stack.ports).map(async (port) => (await fetch(`http://127.0.0.1:${port}/readyz`)).status));
}

t.test('a stopped service is reported missing within 5 s, and back when it returns', async (t) => {
  const before = await gatewayStatus();
  t.equal(before.status, 200);
  await stack.stopService('llm-text');
  const down = await waitFor(
    'llm-text reported down',
    async () => {
      const s = await gatewayStatus();
      return s.body.services.find((x) => x.name === 'llm-text')?.up === false ? s : undefined;
    },
    { timeoutMs: 5_000 },
  );
  t.equal(down.status, 503, 'the gateway is not ready without llm-text');
  t.ok(down.body.reasons.includes('llm-text is not running'));
  const models = await (await fetch(`${stack.gatewayUrl}/api/models`)).json();
  t.notOk(
    (models as { models: { kind: string; transports: string[] }[] }).models.some((m) => m.transports.includes('http')),
    'the text models are gone from the catalogue',
  );
  await stack.startService('llm-text');
  await waitFor('gateway ready again', async () => ((await gatewayStatus()).status === 200 ? true : undefined));
});

t.test('a killed service is reported missing too', async (t) => {
  await stack.killService('session');
  await waitFor(
    'session reported down',
    async () => ((await gatewayStatus()).body.services.find((x) => x.name === 'session')?.up === false ? true : undefined),
    { timeoutMs: 5_000 },
  );
  await stack.startService('session');
  await waitFor('gateway ready again', async () => ((await gatewayStatus()).status === 200 ? true : undefined));
  t.pass();
});

t.test('a NATS outage makes every /readyz 503; recovery makes them 200 without restarts', async (t) => {
  const idsBefore = (await gatewayStatus()).body.services.flatMap((s) => s.instances.map((i) => i.id)).sort();
  await stack.nats.stop();
  let lastCodes: number[] = [];
  const codes = await waitFor('all services not ready', async () => {
    lastCodes = await readyCodes();
    return lastCodes.every((code) => code === 503) ? lastCodes : undefined;
  }, { timeoutMs: 30_000 }).catch((error: Error) => {
    throw new Error(`${error.message}; /readyz of ${Object.keys(stack.ports).join(', ')}: ${lastCodes.join(', ')}`, { cause: error });
  });
  t.same(codes, [503, 503, 503, 503]);
  t.equal((await gatewayStatus()).body.nats, 'disconnected');

  await stack.nats.start();
  await waitFor('all services ready', async () => ((await readyCodes()).every((c) => c === 200) ? true : undefined), {
    timeoutMs: 20_000,
  });
  const idsAfter = (await gatewayStatus()).body.services.flatMap((s) => s.instances.map((i) => i.id)).sort();
  t.same(idsAfter, idsBefore, 'the same service instances came back: nothing was restarted');
});
