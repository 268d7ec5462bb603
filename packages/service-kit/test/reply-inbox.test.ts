import { connect, ErrorCode, headers, type NatsError } from 'nats';
import t from 'tap';
import { Type } from 'typebox';
import { createParser } from '@voxgate/protocol';
import { ReplyInbox, requestJson } from '@voxgate/service-kit';
import { startNatsServer } from '../../../test/helpers/nats-server.js';

// The shared request/reply against a real NATS: each reply reaches its own request, and what is
// not answered fails with the codes nats.js's `request` uses, so `requestJson` reads them alike.
const nats = await startNatsServer();
t.teardown(() => nats.dispose());
const nc = await connect({ servers: nats.url });
t.teardown(() => nc.close());
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const echo = nc.subscribe('test.echo', {
  callback: (_error, msg) => {
    // Answered out of order: the later requests first, so replies cannot match by arrival.
    const delayMs = 30 - Number(decoder.decode(msg.data));
    setTimeout(() => msg.respond(encoder.encode(`${decoder.decode(msg.data)}:${msg.headers?.get('x-id') ?? ''}`)), delayMs);
  },
});
t.teardown(() => echo.unsubscribe());
const silent = nc.subscribe('test.silent', { callback: () => {} });
t.teardown(() => silent.unsubscribe());
await nc.flush();

const codeOf = (error: unknown) => (error as NatsError).code;
/** A check interval short enough that a deadline is measured, not the interval. */
const EXPIRY_CHECK_MS = 50;

t.test('concurrent requests each get their own reply, headers carried', async (t) => {
  const inbox = new ReplyInbox(nc);
  t.teardown(() => inbox.close());
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) => {
      const h = headers();
      h.set('x-id', `r${i}`);
      return inbox.request('test.echo', encoder.encode(String(i)), { timeoutMs: 5_000, headers: h });
    }),
  );
  t.same(
    answers.map((msg) => decoder.decode(msg.data)),
    Array.from({ length: 30 }, (_, i) => `${i}:r${i}`),
  );
});

t.test('nobody subscribed: no responders, well before the deadline', async (t) => {
  const inbox = new ReplyInbox(nc, { expiryCheckMs: EXPIRY_CHECK_MS });
  t.teardown(() => inbox.close());
  const startedMs = Date.now();
  t.equal(await inbox.request('test.nobody', encoder.encode('x'), { timeoutMs: 5_000 }).catch(codeOf), ErrorCode.NoResponders);
  t.ok(Date.now() - startedMs < 2_500, 'answered by the server, well before the 5 s deadline');
});

t.test('nobody answering: a timeout at about the deadline', async (t) => {
  const inbox = new ReplyInbox(nc, { expiryCheckMs: EXPIRY_CHECK_MS });
  t.teardown(() => inbox.close());
  const timeoutMs = 300;
  const startedMs = Date.now();
  t.equal(await inbox.request('test.silent', encoder.encode('x'), { timeoutMs }).catch(codeOf), ErrorCode.Timeout);
  const elapsedMs = Date.now() - startedMs;
  t.ok(elapsedMs >= timeoutMs, `not before the deadline (${elapsedMs} ms)`);
  // One check interval late at most, plus room for a loaded machine (two test files share two cores).
  t.ok(elapsedMs < timeoutMs + EXPIRY_CHECK_MS + 1_000, `not long after it (${elapsedMs} ms)`);
});

t.test('close() rejects what waits and refuses what comes after', async (t) => {
  const inbox = new ReplyInbox(nc);
  const waiting = Array.from({ length: 3 }, () => inbox.request('test.silent', encoder.encode('x'), { timeoutMs: 5_000 }).catch(codeOf));
  inbox.close();
  t.same(await Promise.all(waiting), Array(3).fill(ErrorCode.ConnectionClosed));
  t.equal(await inbox.request('test.echo', encoder.encode('1'), { timeoutMs: 5_000 }).catch(codeOf), ErrorCode.ConnectionClosed);
});

t.test('the connection closing ends the subscription and fails what waits', async (t) => {
  const own = await connect({ servers: nats.url });
  const inbox = new ReplyInbox(own);
  const waiting = inbox.request('test.silent', encoder.encode('x'), { timeoutMs: 5_000 }).catch(codeOf);
  await own.close();
  t.equal(await waiting, ErrorCode.ConnectionClosed);
});

t.test('requestJson through the inbox fails as through a connection', async (t) => {
  const inbox = new ReplyInbox(nc, { expiryCheckMs: EXPIRY_CHECK_MS });
  t.teardown(() => inbox.close());
  const response = createParser(Type.Object({}));
  const none = await requestJson(inbox, 'test.nobody', {}, { response, timeoutMs: 5_000 }).catch((e: unknown) => e);
  t.has(none, { failure: 'no_responders' });
  const slow = await requestJson(inbox, 'test.silent', {}, { response, timeoutMs: 200 }).catch((e: unknown) => e);
  t.has(slow, { failure: 'timeout' });
});
