import { connect, ErrorCode, headers, type NatsError } from 'nats';
import t from 'tap';
import { startNatsServer } from '../../../test/helpers/nats-server.js';
import { ReplyInbox } from '../src/reply-inbox.js';

// The gateway's own request/reply against a real NATS: each reply reaches its own request, and a
// request nobody answers fails with the codes nats.js's `request` uses.
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
nc.subscribe('test.silent', { callback: () => {} });
await nc.flush();

const codeOf = (error: unknown) => (error as NatsError).code;

t.test('concurrent requests each get their own reply, headers carried', async (t) => {
  const inbox = new ReplyInbox(nc);
  t.teardown(() => inbox.close());
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) => {
      const h = headers();
      h.set('x-id', `r${i}`);
      return inbox.request('test.echo', encoder.encode(String(i)), { timeout: 5_000, headers: h });
    }),
  );
  t.same(
    answers.map((msg) => decoder.decode(msg.data)),
    Array.from({ length: 30 }, (_, i) => `${i}:r${i}`),
  );
});

t.test('nobody subscribed: no responders; nobody answering: a timeout; a closed inbox: closed', async (t) => {
  const inbox = new ReplyInbox(nc);
  await t.rejects(inbox.request('test.nobody', encoder.encode('x'), { timeout: 5_000 }), { code: ErrorCode.NoResponders });
  const late = await inbox.request('test.silent', encoder.encode('x'), { timeout: 200 }).catch(codeOf);
  t.equal(late, ErrorCode.Timeout);
  const waiting = inbox.request('test.silent', encoder.encode('x'), { timeout: 5_000 }).catch(codeOf);
  inbox.close();
  t.equal(await waiting, ErrorCode.ConnectionClosed);
});
