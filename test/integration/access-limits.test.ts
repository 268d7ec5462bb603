import { connect } from 'nats';
import t from 'tap';
import { utcDay } from '../../services/gateway/src/access/day.js';
import { clientIdOfAddress } from '../../services/gateway/src/access/client-id.js';
import { clientKey, totalKey, USAGE_BUCKET } from '../../services/gateway/src/access/quotas.js';
import { waitFor } from '../helpers/ports.js';
import { recordReliability } from '../helpers/reliability.js';
import { startStack } from '../helpers/stack.js';
import { RealtimeClient, tryUpgrade } from './realtime-gateway-helpers.js';

// Per-client limits and the deployment's daily budgets on the real stack. Clients are told apart
// by the address a trusted proxy (TRUST_PROXY) forwards, or by their API key.

const API_KEY = 'test-key-access-limits-1';
const PER_MINUTE = 30;
const stack = await startStack({
  env: {
    API_KEYS: API_KEY,
    TRUST_PROXY: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    MAX_REALTIME_SESSIONS_PER_CLIENT: '1',
    // One turn's worth: the first turn of a client spends it.
    CLIENT_DAILY_TOKENS: '1',
  },
});
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;
const wsBase = base.replace(/^http/, 'ws');
const seen: Record<string, number> = {};
const survived = { gatewayRestart: false, natsRestart: false };
const count = (code: string | undefined) => {
  if (code !== undefined) seen[code] = (seen[code] ?? 0) + 1;
};

const from = (address: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': address, ...extra });
const errorOf = async (response: Response) => {
  const body = (await response.json()) as { error?: { code?: string } };
  count(body.error?.code);
  return body.error?.code;
};

const catalogue = (await (await fetch(`${base}/api/models`)).json()) as { models: { id: string; kind: string; transports: string[] }[] };
const textModel = catalogue.models.find((m) => m.kind === 'text')?.id ?? 'gpt-4o-mini';
const realtimeModel = catalogue.models.find((m) => m.kind === 'realtime' && m.transports.includes('websocket'))?.id ?? 'gpt-realtime';
const pageSocket = (address: string) =>
  tryUpgrade(`${wsBase}/api/realtime/ws?model=${realtimeModel}`, { headers: from(address, { Origin: base }) });
await waitFor('a relay taking sessions', async () => {
  const outcome = await tryUpgrade(`${wsBase}/v1/realtime?model=${realtimeModel}`, { headers: { authorization: `Bearer ${API_KEY}` } });
  if (!('ws' in outcome)) return undefined;
  outcome.ws.close();
  return true;
});

/** Starts a text turn for `address` and waits until it has finished. */
async function finishedTurn(address: string): Promise<void> {
  const started = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: from(address, { 'content-type': 'application/json' }),
    body: JSON.stringify({ model: textModel, message: { role: 'user', content: [{ type: 'text', text: 'hello' }] } }),
  });
  if (started.status !== 200) throw new Error(`turn not started: ${started.status}`);
  const { turnId } = (await started.json()) as { turnId: string };
  await waitFor('the turn to finish', async () => {
    const poll = (await (await fetch(`${base}/api/turns/${turnId}?after=0`, { headers: from(address) })).json()) as { finished: boolean };
    return poll.finished ? true : undefined;
  });
}

t.test('requests per minute: the client over its allowance gets 429 with Retry-After, others do not', async (t) => {
  for (let i = 0; i < PER_MINUTE; i++) t.equal((await fetch(`${base}/api/models`, { headers: from('10.1.0.1') })).status, 200);
  const over = await fetch(`${base}/api/models`, { headers: from('10.1.0.1') });
  t.equal(over.status, 429);
  const retryAfter = Number(over.headers.get('retry-after'));
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter} s`);
  t.equal(await errorOf(over), 'rate_limited');
  t.has(await tryUpgrade(`${wsBase}/api/ws`, { headers: from('10.1.0.1', { Origin: base }) }), { status: 429, body: { error: { code: 'rate_limited' } } });
  count('rate_limited');
  const encoded = await fetch(`${base}/%61pi/models`, { headers: from('10.1.0.1') });
  t.not(encoded.status, 200, `a percent-encoded path is no way around it (${encoded.status})`);
  t.equal((await fetch(`${base}/api/models`, { headers: from('10.1.0.2') })).status, 200, 'another address');
  const withKey = await fetch(`${base}/v1/models`, { headers: from('10.1.0.1', { authorization: `Bearer ${API_KEY}` }) });
  t.equal(withKey.status, 200, 'the same address with an API key is its own client');
  t.equal((await fetch(`${base}/api/models`)).status, 200, 'programs on the gateway machine are not limited');
});

t.test('tokens per day: a client that spent its tokens is refused new turns until tomorrow', async (t) => {
  await finishedTurn('10.2.0.1');
  const refused = await waitFor('the turn usage to count', async () => {
    const response = await fetch(`${base}/api/chat`, {
      method: 'POST',
      headers: from('10.2.0.1', { 'content-type': 'application/json' }),
      body: JSON.stringify({ model: textModel, message: { role: 'user', content: [{ type: 'text', text: 'again' }] } }),
    });
    return response.status === 429 ? response : undefined;
  });
  t.equal(await errorOf(refused), 'client_tokens_spent');
  const retryAfter = Number(refused.headers.get('retry-after'));
  t.ok(retryAfter > 0 && retryAfter <= 86_400, `Retry-After ${retryAfter} s: the next UTC midnight`);
  const v1 = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: from('10.2.0.1', { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }),
    body: JSON.stringify({ model: textModel, messages: [{ role: 'user', content: 'hi' }] }),
  });
  t.equal(v1.status, 200, 'the API key is another client with its own tokens');
  await finishedTurn('10.2.0.2');
});

t.test('concurrent realtime sessions: one per client here, the second refused until the first closes', async (t) => {
  const first = await pageSocket('10.3.0.1');
  t.equal(first.status, 101);
  const second = await pageSocket('10.3.0.1');
  t.has(second, { status: 429, body: { error: { code: 'too_many_sessions' } } });
  count('too_many_sessions');
  const call = await fetch(`${base}/api/realtime/calls?model=${realtimeModel}`, {
    method: 'POST',
    headers: from('10.3.0.1', { 'content-type': 'application/json', origin: base }),
    body: JSON.stringify({ sdp: 'v=0' }),
  });
  t.equal(call.status, 429, 'a WebRTC call counts against the same limit');
  t.equal(await errorOf(call), 'too_many_sessions');
  const other = await pageSocket('10.3.0.2');
  t.equal(other.status, 101, 'another client opens its own');
  for (const outcome of [first, other]) if ('ws' in outcome) outcome.ws.close();
  const third = await waitFor('the closed session to be released', async () => {
    const outcome = await pageSocket('10.3.0.1');
    return 'ws' in outcome ? outcome : undefined;
  });
  third.ws.close();
});

t.test('realtime usage events count toward the client tokens too', async (t) => {
  const client = await RealtimeClient.open(`${wsBase}/api/realtime/ws?model=${realtimeModel}`, { headers: from('10.4.0.1', { Origin: base }) });
  await client.askForAudio('hello');
  await client.next('response.done');
  client.close();
  await client.closed;
  const refused = await waitFor('the realtime usage to count', async () => {
    const outcome = await pageSocket('10.4.0.1');
    if ('ws' in outcome) {
      outcome.ws.close();
      return undefined;
    }
    return outcome;
  });
  t.has(refused, { status: 429, body: { error: { code: 'client_tokens_spent' } } });
  count('client_tokens_spent');
});

t.test('daily budgets: shared through NATS and kept across a gateway restart; a session past its client\'s or the deployment\'s minutes is ended', async (t) => {
  // A budget of one token is spent already by the turns above; the counters live in NATS, so the
  // restarted gateway knows.
  Object.assign(stack.env, { DAILY_TOKEN_BUDGET: '1', DAILY_REALTIME_MINUTES: '1', CLIENT_DAILY_TOKENS: '0' });
  await stack.stopService('gateway');
  await stack.startService('gateway');
  await waitFor('the gateway back', async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined), { timeoutMs: 30_000 });
  const chat = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: from('10.5.0.1', { 'content-type': 'application/json' }),
    body: JSON.stringify({ model: textModel, message: { role: 'user', content: [{ type: 'text', text: 'hi' }] } }),
  });
  t.equal(chat.status, 429, 'a client never seen before');
  survived.gatewayRestart = chat.status === 429;
  t.equal(await errorOf(chat), 'daily_token_budget_spent');
  t.ok(Number(chat.headers.get('retry-after')) > 0);
  const local = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: textModel, message: { role: 'user', content: [{ type: 'text', text: 'hi' }] } }),
  });
  t.equal(local.status, 429, 'the deployment budget holds for programs on the gateway machine too');
  count((await local.json()).error?.code);

  // Realtime minutes: lift the token budget, open sessions, then spend today's minutes elsewhere
  // (the counters are what replicas share, so writing them is what another replica's use does).
  Object.assign(stack.env, { DAILY_TOKEN_BUDGET: '0', CLIENT_DAILY_REALTIME_MINUTES: '1' });
  await stack.stopService('gateway');
  await stack.startService('gateway');
  await waitFor('the gateway back', async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined), { timeoutMs: 30_000 });
  const open = (address: string) => RealtimeClient.open(`${wsBase}/api/realtime/ws?model=${realtimeModel}`, { headers: from(address, { Origin: base }) });
  const spender = await open('10.6.0.1');
  const bystander = await open('10.6.0.3');
  const nc = await connect({ servers: stack.nats.url });
  t.teardown(() => nc.close());
  const kv = await nc.jetstream().views.kv(USAGE_BUCKET);
  const day = utcDay(Date.now());
  const stillOpen = (client: RealtimeClient) => Promise.race([client.closed, new Promise((r) => setTimeout(() => r('still open'), 20_000))]);

  const lastError = (client: RealtimeClient) => (client.events.filter((e) => e.type === 'error').at(-1)?.error as { code?: string } | undefined)?.code;
  await kv.put(clientKey(day, clientIdOfAddress('10.6.0.1'), 'realtime-ms'), String(60_000));
  t.equal(await stillOpen(spender), 1008, "the session of the client whose minute is spent was ended (1008, policy)");
  t.equal(lastError(spender), 'client_realtime_spent', 'and told why in an error event before the close');
  t.ok(bystander.open, "another client's session goes on");
  t.has(await pageSocket('10.6.0.1'), { status: 429, body: { error: { code: 'client_realtime_spent' } } });
  count('client_realtime_spent');

  await kv.put(totalKey(day, 'realtime-ms'), String(60_000));
  t.equal(await stillOpen(bystander), 1008, "once the deployment's minute is spent, every session ends");
  t.equal(lastError(bystander), 'daily_realtime_budget_spent', 'told that the deployment is out of minutes');
  t.has(await pageSocket('10.6.0.2'), { status: 429, body: { error: { code: 'daily_realtime_budget_spent' } } });
  count('daily_realtime_budget_spent');
});

t.test('after a NATS restart the gateway still follows the shared counters', async (t) => {
  await stack.nats.stop();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await stack.nats.start();
  await waitFor('the gateway ready again', async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok ? true : undefined), { timeoutMs: 30_000 });
  const nc = await waitFor('NATS back', () => connect({ servers: stack.nats.url }).catch(() => undefined));
  t.teardown(() => nc.close());
  const kv = await nc.jetstream().views.kv(USAGE_BUCKET);
  t.ok(Number((await kv.get(totalKey(utcDay(Date.now()), 'realtime-ms')))?.string()) >= 60_000, "the day's minutes are still in NATS");
  t.has(await pageSocket('10.8.0.1'), { status: 429, body: { error: { code: 'daily_realtime_budget_spent' } } }, 'and still refused');
  // The operator gives the deployment its minute back: every replica must see the new value.
  await kv.put(totalKey(utcDay(Date.now()), 'realtime-ms'), '0');
  // The relays register again after the restart: until then the answer is 503 no_relay.
  let address = 10;
  const outcome = await waitFor('the gateway to see the reset', async () => {
    // A new address each time: the per-minute allowance is not what this waits for.
    const attempt = await pageSocket(`10.8.0.${address++}`);
    if ('ws' in attempt) attempt.ws.close();
    return attempt.status === 429 || attempt.status === 503 ? undefined : attempt;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  t.equal(outcome.status, 101, 'a session opens again once the counter is lowered');
  survived.natsRestart = outcome.status === 101;
});

t.teardown(() =>
  recordReliability({
    id: 'access/limits',
    section: 'access',
    title: 'Per-client limits (requests per minute, realtime sessions, daily tokens and realtime minutes) and deployment budgets (tokens, realtime minutes) against the real stack, across gateway and NATS restarts',
    figures: {
      limitsEnforced: Object.keys(seen).length,
      refusals429: Object.values(seen).reduce((a, b) => a + b, 0),
      ...Object.fromEntries(Object.entries(seen).map(([code, n]) => [`${code}Seen`, n])),
      budgetsKeptAcrossGatewayRestart: survived.gatewayRestart,
      countersFollowedAcrossNatsRestart: survived.natsRestart,
    },
    passed: t.passing(),
  }),
);
