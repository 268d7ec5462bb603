import t from 'tap';
import { connect } from 'nats';
import { Type } from 'typebox';
import { createParser } from '@voxgate/protocol';
import { addJsonEndpoint, createLogger, defineErrors, NatsRequestError, registerService, requestJson } from '@voxgate/service-kit';
import { startNatsServer } from '../../../test/helpers/nats-server.js';

const server = await startNatsServer();
t.teardown(() => server.dispose());
const nc = await connect({ servers: server.url });
t.teardown(() => nc.close());

const Add = createParser(Type.Object({ a: Type.Number(), b: Type.Number() }));
const Sum = createParser(Type.Object({ sum: Type.Number() }));
const errors = defineErrors({ too_big: { statusCode: 422, message: 'Numbers over 100 are refused.' } });
const log = createLogger('test', 'silent');
const service = await registerService(nc, { name: 'adder', version: '1.0.0', description: 'adds' });
const seenRequestIds: (string | undefined)[] = [];
addJsonEndpoint(service, log, {
  name: 'add',
  subject: 'test.add',
  request: Add,
  handler: async ({ a, b }, { requestId }) => {
    seenRequestIds.push(requestId);
    if (a > 100 || b > 100) throw errors.too_big();
    if (a < 0) throw new Error('secret internals');
    return { sum: a + b };
  },
});

t.test('a typed request gets a typed answer and carries the request id', async (t) => {
  t.same(await requestJson(nc, 'test.add', { a: 2, b: 3 }, { response: Sum, timeoutMs: 1_000, requestId: 'req-1' }), { sum: 5 });
  t.equal(seenRequestIds.at(-1), 'req-1');
});

t.test('a payload off-schema is refused at the boundary with a 400', async (t) => {
  const error = await requestJson(nc, 'test.add', { a: 'two' }, { response: Sum, timeoutMs: 1_000 }).catch((e: unknown) => e);
  t.type(error, NatsRequestError);
  t.has(error, { failure: 'service_error', statusCode: 400, code: 'invalid_request' });
});

t.test('a ServiceError keeps its code and status across NATS; other errors stay inside', async (t) => {
  const known = await requestJson(nc, 'test.add', { a: 500, b: 1 }, { response: Sum, timeoutMs: 1_000 }).catch((e: unknown) => e);
  t.match(known, { failure: 'service_error', statusCode: 422, code: 'too_big', message: 'Numbers over 100 are refused.' });
  const unknown = await requestJson(nc, 'test.add', { a: -1, b: 1 }, { response: Sum, timeoutMs: 1_000 }).catch((e: unknown) => e);
  t.has(unknown, { failure: 'service_error', statusCode: 500, code: 'internal_error' });
  t.notMatch((unknown as Error).message, 'secret');
});

t.test('nobody listening is told apart from nobody answering', async (t) => {
  const none = await requestJson(nc, 'test.nobody', {}, { response: Sum, timeoutMs: 500 }).catch((e: unknown) => e);
  t.has(none, { failure: 'no_responders' });
  const silent = nc.subscribe('test.silent');
  t.teardown(() => silent.unsubscribe());
  const slow = await requestJson(nc, 'test.silent', {}, { response: Sum, timeoutMs: 200 }).catch((e: unknown) => e);
  t.has(slow, { failure: 'timeout' });
});

t.test('an answer off-schema is caught at the caller', async (t) => {
  const odd = nc.subscribe('test.odd', { callback: (_e, m) => m.respond(new TextEncoder().encode('{"total":5}')) });
  t.teardown(() => odd.unsubscribe());
  const error = await requestJson(nc, 'test.odd', {}, { response: Sum, timeoutMs: 1_000 }).catch((e: unknown) => e);
  t.has(error, { failure: 'invalid_response' });
});
