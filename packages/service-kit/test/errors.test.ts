import Fastify from 'fastify';
import t from 'tap';
import { defineErrors, errorHandling } from '@voxgate/service-kit';

const errors = defineErrors({
  unknown_model: { statusCode: 404, message: 'No such model.' },
});

async function app() {
  const logged: unknown[] = [];
  const instance = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => void logged.push(JSON.parse(line)) } },
  });
  await instance.register(errorHandling);
  instance.get('/known', async () => {
    throw errors.unknown_model({ cause: new Error('looked in the catalogue') });
  });
  instance.get('/bug', async () => {
    throw new Error('database password is hunter2');
  });
  instance.post('/echo', { schema: { body: { type: 'object', required: ['a'], properties: { a: { type: 'string' } } } } }, async (r) => r.body);
  return { instance, logged };
}

t.test('a catalogued error reaches the client as its code and message', async (t) => {
  const { instance } = await app();
  const response = await instance.inject('/known');
  t.equal(response.statusCode, 404);
  t.match(response.json(), { error: { code: 'unknown_model', message: 'No such model.', requestId: String } });
  t.notMatch(response.body, 'catalogue', 'the cause stays on the server');
});

t.test('an unexpected error is a generic 500; details only in the log', async (t) => {
  const { instance, logged } = await app();
  const response = await instance.inject('/bug');
  t.equal(response.statusCode, 500);
  t.has(response.json(), { error: { code: 'internal_error' } });
  t.notMatch(response.body, 'hunter2');
  t.notMatch(response.body, 'at ', 'no stack');
  t.ok(logged.some((l) => JSON.stringify(l).includes('hunter2')), 'the operator can find it');
});

t.test('bad requests Fastify catches get codes too', async (t) => {
  const { instance } = await app();
  const invalid = await instance.inject({ method: 'POST', url: '/echo', payload: { b: 1 } });
  t.equal(invalid.statusCode, 400);
  t.equal(invalid.json().error.code, 'invalid_request');
  const notJson = await instance.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
  t.equal(notJson.statusCode, 400);
  t.equal(notJson.json().error.code, 'invalid_json');
  const wrongType = await instance.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'text/x-nonsense' }, payload: 'a' });
  t.equal(wrongType.statusCode, 415);
  t.equal(wrongType.json().error.code, 'unsupported_media_type');
  const missing = await instance.inject('/nowhere');
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error.code, 'not_found');
});
