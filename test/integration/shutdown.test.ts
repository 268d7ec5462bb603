import t from 'tap';
import { connect, RequestStrategy } from 'nats';
import { waitFor } from '../helpers/ports.js';
import { startStack } from '../helpers/stack.js';

const stack = await startStack();
t.teardown(() => stack.stop());

t.test('SIGTERM: stop accepting, close HTTP, drain NATS, exit 0, gone from discovery', async (t) => {
  const status = await stack.stopService('realtime-relay');
  t.equal(status, 0, 'exits cleanly');
  const messages = stack
    .logs('realtime-relay')
    .map((line) => {
      try {
        return (JSON.parse(line) as { msg?: string }).msg;
      } catch {
        return undefined;
      }
    })
    .filter((m): m is string => m?.startsWith('shutdown') ?? false);
  t.same(messages, ['shutdown: stop accepting', 'shutdown: HTTP closed, draining NATS', 'shutdown: done'], 'in this order');

  const refused = await fetch(`http://127.0.0.1:${stack.ports['realtime-relay']}/healthz`).then(
    () => false,
    () => true,
  );
  t.ok(refused, 'the port no longer accepts connections');

  const nc = await connect({ servers: stack.nats.url });
  t.teardown(() => nc.close());
  const names: string[] = [];
  for await (const answer of await nc.services.client({ strategy: RequestStrategy.Timer, maxWait: 500 }).ping()) {
    names.push(answer.name);
  }
  t.notOk(names.includes('realtime-relay'), 'no longer answers $SRV.PING');
  await waitFor('gateway notices', async () => ((await fetch(`${stack.gatewayUrl}/readyz`)).status === 503 ? true : undefined));
});
