import { connect, type NatsConnection } from 'nats';
import t from 'tap';
import { RelayRegistry, type RelayEntry } from '@voxgate/protocol';
import { listLiveRelays, openRelayRegistry } from '@voxgate/service-kit';
import { startConnectProxy } from '../../../test/helpers/connect-proxy.js';
import { startNatsServer } from '../../../test/helpers/nats-server.js';
import { waitFor } from '../../../test/helpers/ports.js';
import { startFakeProvider } from './fake-provider.js';
import { connectClient, refusedUpgrade, startRelay } from './relay-process.js';

const nats = await startNatsServer();
const provider = await startFakeProvider();
const proxy = await startConnectProxy();
const nc: NatsConnection = await connect({ servers: nats.url });
const env = {
  NATS_URL: nats.url,
  OPENAI_API_KEY: 'sk-test-openai',
  OPENAI_REALTIME_URL: `${provider.wsUrl}/openai/v1/realtime`,
  HTTP_PROXY: proxy.url,
  HTTPS_PROXY: proxy.url,
  SHUTDOWN_GRACE_MS: '3000',
};
const proxied = await startRelay(env);
const direct = await startRelay({ ...env, NO_PROXY: 'localhost,127.0.0.1' });
t.teardown(async () => {
  await Promise.all([proxied.proc.kill(), direct.proc.kill()]);
  await nc.close();
  await proxy.close();
  await provider.close();
  await nats.dispose();
});
const target = new URL(provider.wsUrl).host;
const entryOf = async (port: number) => (await listLiveRelays(nc)).find((e) => e.address === `ws://127.0.0.1:${port}`);

t.test('provider sockets go through the CONNECT proxy; NO_PROXY bypasses it', async (t) => {
  const client = await connectClient(`${proxied.url}/v1/realtime?model=gpt-realtime`);
  await client.next('session.created');
  t.equal(proxy.tunnels.get(target), 1, 'one tunnel to the provider');
  const bypass = await connectClient(`${direct.url}/v1/realtime?model=gpt-realtime`);
  await bypass.next('session.created');
  t.equal(proxy.tunnels.get(target), 1, 'NO_PROXY: no tunnel');
  client.ws.close();
  bypass.ws.close();
  await Promise.all([client.closed, bypass.closed]);
});

t.test('each replica registers, and its entry follows its load', async (t) => {
  const entry = await waitFor('entry', () => entryOf(proxied.port));
  t.match(entry, { activeSessions: 0, capacity: 500, draining: false });
  t.ok(Date.now() - entry.updatedAt < RelayRegistry.staleAfterMs);
  const client = await connectClient(`${proxied.url}/v1/realtime?model=gpt-realtime`);
  await waitFor('load 1', async () => ((await entryOf(proxied.port))?.activeSessions === 1 ? true : undefined));
  const before = (await entryOf(proxied.port))?.updatedAt ?? 0;
  await waitFor('refresh', async () => (((await entryOf(proxied.port))?.updatedAt ?? 0) > before ? true : undefined), { timeoutMs: 5_000 });
  t.pass('refreshed without a load change');
  client.ws.close();
  await waitFor('load 0', async () => ((await entryOf(proxied.port))?.activeSessions === 0 ? true : undefined));
});

t.test('SIGTERM: draining, new sessions refused, running ones closed 1001 after the grace, entry deleted', async (t) => {
  const kv = await openRelayRegistry(nc);
  const id = (await entryOf(proxied.port))?.id as string;
  const client = await connectClient(`${proxied.url}/v1/realtime?model=gpt-realtime`);
  await client.next('session.created');
  const stopping = proxied.proc.stop(15_000);
  const drainingEntry = await waitFor('draining entry', async () => {
    const value = (await kv.get(id))?.json<RelayEntry>();
    return value?.draining ? value : undefined;
  });
  t.equal(drainingEntry.activeSessions, 1);
  t.notOk(await entryOf(proxied.port), 'the reader skips a draining replica');
  const refused = await refusedUpgrade(`${proxied.url}/v1/realtime?model=gpt-realtime`);
  t.equal(refused.status, 503);
  t.equal(refused.body.error.code, 'relay_draining');
  t.equal(client.ws.readyState, client.ws.OPEN, 'the running session goes on during the grace');
  const closed = await client.closed;
  t.equal(closed.code, 1001);
  t.ok(client.events.some((e) => (e.error as { code?: string } | undefined)?.code === 'relay_shutting_down'));
  await stopping;
  const gone = await kv.get(id);
  t.ok(gone === null || gone.operation !== 'PUT', 'the entry is deleted');
});

t.test('SIGKILL: the registry forgets the replica within 10 s', async (t) => {
  await waitFor('direct entry', () => entryOf(direct.port));
  const killedAt = Date.now();
  await direct.proc.kill();
  await waitFor('forgotten', async () => ((await entryOf(direct.port)) === undefined ? true : undefined), { timeoutMs: 10_000, intervalMs: 250 });
  t.ok(Date.now() - killedAt <= 10_000, `forgotten after ${Date.now() - killedAt} ms`);
  const kv = await openRelayRegistry(nc);
  const keys: string[] = [];
  await waitFor('expired from the bucket', async () => {
    keys.length = 0;
    for await (const k of await kv.keys()) keys.push(k);
    return keys.length === 0 ? true : undefined;
  }, { timeoutMs: 15_000, intervalMs: 500 });
  t.pass('the bucket max_age removed the entry too');
});
