import t from 'tap';
import { CallsRegistry } from '../src/calls-registry.js';

t.test('the registry is bounded and sweeps calls older than the maximum age', async (t) => {
  let nowMs = 0;
  const registry = new CallsRegistry(2, 1_000, () => nowMs);
  const stopped: string[] = [];
  const call = (callId: string) => ({ callId, model: 'gpt-realtime', conversationId: 'conv_12345678', startedAtMs: nowMs, stopFollowing: () => stopped.push(callId) });
  registry.add(call('rtc_a'));
  nowMs = 500;
  registry.add(call('rtc_b'));
  t.throws(() => registry.add(call('rtc_c')), { code: 'too_many_calls', statusCode: 503 }, 'full');
  nowMs = 1_200;
  registry.add(call('rtc_c'));
  t.same(stopped, ['rtc_a'], 'the call past its age was dropped and no longer followed');
  t.same(registry.all().map((c) => c.callId), ['rtc_b', 'rtc_c']);
  t.equal(registry.remove('rtc_b')?.callId, 'rtc_b');
  t.equal(registry.remove('rtc_b'), undefined);
  t.same(stopped, ['rtc_a'], 'remove leaves following to the caller');
});
