import t from 'tap';
import { recordReliability } from '../helpers/reliability.js';
import { startStack } from '../helpers/stack.js';

// The HTTP servers bound how long a request may take to arrive, not how long an answer may take:
// a streamed answer whose provider is silent for longer than a socket idle timeout would allow
// (it was 10 s) still reaches the user.

const QUIET_MS = 12_000;
const stack = await startStack();
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;
const sim = stack.simulatorUrl ?? '';
const catalogue = (await (await fetch(`${base}/api/models`)).json()) as { models: { id: string; kind: string; provider: string }[] };
const model = catalogue.models.find((m) => m.kind === 'text' && m.provider === 'openai')?.id ?? 'gpt-4o-mini';

t.test('an SSE answer quiet for 12 s before its first token is delivered whole', { timeout: 60_000 }, async (t) => {
  const fault = await fetch(`${sim}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'openai', model, kind: 'stall_before_first_token', delayMs: QUIET_MS, times: 1 }),
  });
  t.equal(fault.status, 201, 'the simulator will stall the first token');
  const startedAtMs = Date.now();
  const response = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ model, message: { role: 'user', content: [{ type: 'text', text: 'take your time' }] } }),
  });
  t.equal(response.status, 200);
  const text = await response.text();
  const quietMs = Date.now() - startedAtMs;
  t.ok(quietMs >= QUIET_MS, 'the stall happened');
  t.match(text, /"type":"delta"/, 'the answer arrived after the silence');
  t.match(text, /"type":"done"/, 'and ended with done');
  await recordReliability({
    id: 'access/quiet-stream',
    section: 'access',
    title: 'A streamed answer silent before its first token is not cut by a server timeout',
    figures: { quietMs, delivered: /"type":"done"/.test(text) },
    passed: t.passing(),
  });
});
