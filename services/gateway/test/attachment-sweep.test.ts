import type { FastifyBaseLogger } from 'fastify';
import { connect } from 'nats';
import t from 'tap';
import { JetStreamNames, Subjects, type Attachment, type ConversationTurn } from '@voxgate/protocol';
import { ensureJetStream } from '@voxgate/service-kit';
import { startNatsServer } from '../../../test/helpers/nats-server.js';
import { AttachmentStore, AttachmentSweeper, InlineAttachments, newId } from '../src/attachment-store.js';

// The sweep's rules against a real NATS: what is old, what the history refers to, what is in
// use, and when it must not remove anything. `sweep(now)` is given a time past the grace.
const nats = await startNatsServer();
t.teardown(() => nats.dispose());
const nc = await connect({ servers: nats.url });
t.teardown(() => nc.close());
await ensureJetStream(nc);
const js = nc.jetstream();
const jsm = await nc.jetstreamManager();

const GRACE_MS = 60_000;
const later = () => Date.now() + GRACE_MS + 1_000;
const warnings: string[] = [];
const log = { info: () => {}, warn: (_details: unknown, message: string) => void warnings.push(message) } as unknown as FastifyBaseLogger;
const store = new AttachmentStore(nc, { maxBytes: 0 });

async function put(): Promise<string> {
  const record: Attachment = { id: newId(), kind: 'image', mime: 'image/png', bytes: 3 };
  await store.put(record, Buffer.from([1, 2, 3]));
  return record.id;
}
const exchange = (conversationId: string, attachmentId: string) => {
  const turn: ConversationTurn = {
    turnId: newId(),
    model: 'm',
    user: { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', attachmentId }] },
    answer: 'a picture',
    status: 'done',
    createdAt: new Date().toISOString(),
  };
  return js.publish(Subjects.history(conversationId), JSON.stringify(turn));
};
const present = async (id: string) => (await store.list()).some((o) => o.id === id);

t.test('an old attachment no exchange refers to goes at the second sweep that finds it; one referred to stays', async (t) => {
  const sweeper = new AttachmentSweeper(nc, store, { graceMs: GRACE_MS, log, inUse: () => false });
  const kept = await put();
  const unsent = await put();
  await exchange('conv_keep', kept);
  t.equal(await sweeper.sweep(Date.now()), 0, 'nothing is old yet');
  t.equal(await sweeper.sweep(later()), 0, 'the first sweep past the grace only notes it');
  t.ok(await present(unsent));
  t.equal(await sweeper.sweep(later()), 1, 'the second removes it');
  t.notOk(await present(unsent), 'the unsent one is gone');
  t.ok(await present(kept), 'the one an exchange refers to stays');
  const status = await jsm.streams.info(`OBJ_${JetStreamNames.attachmentsBucket}`, { subjects_filter: '$O.>' });
  t.equal(Object.keys(status.state.subjects ?? {}).length, 2, 'only the kept record and its chunks are left: nothing of the removed one');

  const referredLater = await put();
  t.equal(await sweeper.sweep(later()), 0, 'noted once');
  await exchange('conv_late', referredLater);
  t.equal(await sweeper.sweep(later()), 0, 'an exchange stored between two sweeps saves it');
  t.ok(await present(referredLater));
});

t.test('attachments in use by this gateway are never swept', async (t) => {
  const held = await put();
  const sweeper = new AttachmentSweeper(nc, store, { graceMs: GRACE_MS, log, inUse: (id) => id === held });
  await sweeper.sweep(later());
  await sweeper.sweep(later());
  t.ok(await present(held));
});

t.test('history deleted after the last read does not stall the sweep', async (t) => {
  const sweeper = new AttachmentSweeper(nc, store, { graceMs: GRACE_MS, log, inUse: () => false });
  await sweeper.sweep(later());
  const orphan = await put();
  const ack = await exchange('conv_gone', 'nosuchattachment1');
  await jsm.streams.deleteMessage(JetStreamNames.historyStream, ack.seq);
  await sweeper.sweep(later());
  t.ok((await sweeper.sweep(later())) >= 1, 'the second sweep removes');
  t.notOk(await present(orphan), 'the orphan goes as usual');
});

t.test('a history message that is not an exchange stops every removal', async (t) => {
  const sweeper = new AttachmentSweeper(nc, store, { graceMs: GRACE_MS, log, inUse: () => false });
  const orphan = await put();
  await js.publish(Subjects.history('conv_odd'), JSON.stringify({ kind: 'something new', refers: orphan }));
  await sweeper.sweep(later());
  t.equal(await sweeper.sweep(later()), 0, 'nothing removed');
  t.ok(await present(orphan));
  t.match(warnings, [/not an exchange/], 'said once, in the log');
});

t.test('inline copies: shared by requests holding the same bytes, deleted after the last', async (t) => {
  const inline = new InlineAttachments(store, { shareMs: GRACE_MS / 2, log });
  const bytes = Buffer.from([9, 9, 9]);
  const pending = (id: string) => ({ record: { id, kind: 'image' as const, mime: 'image/png', bytes: 3 }, bytes, key: 'same-bytes' });
  const first = await inline.hold([pending('firstcopy1234')]);
  const second = await inline.hold([pending('secondcopy1234')]);
  t.same([...first.renamed], [], 'the first request stores its own');
  t.same([...second.renamed], [['secondcopy1234', 'firstcopy1234']], 'the second shares it');
  t.notOk(await present('secondcopy1234'), 'stored once');
  first.release();
  first.release();
  await inline.close();
  t.ok(await present('firstcopy1234'), 'kept while a request still holds it (a release twice counts once)');
  t.ok(inline.holds('firstcopy1234'));
  second.release();
  await inline.close();
  t.notOk(await present('firstcopy1234'), 'deleted after the last');
  t.notOk(inline.holds('firstcopy1234'));
});

t.test('a store at its cap refuses with attachment_store_full', async (t) => {
  const capped = new AttachmentStore(nc, { maxBytes: 1 });
  const error = await capped.put({ id: newId(), kind: 'image', mime: 'image/png', bytes: 3 }, Buffer.from([1, 2, 3])).catch((e: unknown) => e);
  t.match(error, { code: 'attachment_store_full', statusCode: 507, message: /ATTACHMENTS_MAX_MB/ });
});
