import t from 'tap';
import { makeWav } from '../../../tools/provider-sim/test/helpers/media.js';
import { startConnectProxy } from '../../../test/helpers/connect-proxy.js';
import { startHarness, textOf } from './helpers/harness.js';

const proxy = await startConnectProxy();
t.teardown(() => proxy.close());
const h = await startHarness({ env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url } });
t.teardown(() => h.close());

const say = (text: string) => [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }];
const answer = async (model: string) => textOf(await h.chunks((await h.start({ model, mode: 'stateless', messages: say('hi'), maxOutputTokens: 20 })).turnId));

t.test('every provider request goes through HTTP_PROXY', async (t) => {
  await h.sim.reset();
  proxy.reset();
  for (const model of ['gpt-4o-mini', 'gemini-2.5-flash', 'glm-4-flash']) t.match(await answer(model), /^Simulated answer/, model);
  const voice = await h.attach('audio', 'audio/wav', makeWav(500));
  const transcribed = await h.chunks(
    (await h.start({ model: 'gpt-4o-mini', mode: 'stateless', messages: [{ role: 'user', content: [{ type: 'audio', attachmentId: voice }] }] })).turnId,
  );
  t.ok(transcribed.some((c) => c.type === 'transcript'), 'the transcription request went out too');
  const simHost = new URL(h.sim.url).host;
  t.ok((proxy.tunnels.get(simHost) ?? 0) + (proxy.forwarded.get(simHost) ?? 0) >= 1, 'the proxy carried the requests');
  t.equal(proxy.total(), (proxy.tunnels.get(simHost) ?? 0) + (proxy.forwarded.get(simHost) ?? 0), 'to the simulator only');
  t.same(new Set((await h.sim.requests()).map((r) => r.provider)), new Set(['openai', 'gemini', 'zhipu']));
});

t.test('with the proxy down, a turn fails as upstream_unavailable: nothing went around it', async (t) => {
  await h.stopLlmText();
  await h.startLlmText({ HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', UPSTREAM_MAX_RETRIES: '0' });
  await h.sim.reset();
  // The openai SDK's clients send through leanFetch, Gemini's through the global fetch: both must fail.
  for (const model of ['gpt-4o-mini', 'gemini-2.5-flash', 'glm-4-flash']) {
    const chunks = await h.chunks((await h.start({ model, mode: 'stateless', messages: say('hi') })).turnId);
    t.has(chunks.at(-1), { type: 'error', code: 'upstream_unavailable' }, model);
  }
  t.same(await h.sim.requests(), [], 'the simulator saw nothing');
});

t.test('NO_PROXY bypasses the proxy', async (t) => {
  await h.stopLlmText();
  await h.startLlmText({ NO_PROXY: '127.0.0.1' });
  proxy.reset();
  for (const model of ['gpt-4o-mini', 'gemini-2.5-flash', 'glm-4-flash']) t.match(await answer(model), /^Simulated answer/, model);
  t.equal(proxy.total(), 0, 'no tunnel and no forwarded request');
});
