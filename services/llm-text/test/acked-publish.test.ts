import { Subjects } from '@voxgate/protocol';
import t from 'tap';
import { AckedPublish } from '../src/acked-publish.js';
import { newTurnId, startHarness } from './helpers/harness.js';

// The harness's llm-text has created the turns stream by the time it is up.
const h = await startHarness();
t.teardown(() => h.close());
const acked = new AckedPublish(h.nc);
t.teardown(() => acked.close());

t.test('a publish to a stream resolves with its ack, in order, and a repeated message id is a duplicate', async (t) => {
  const subject = Subjects.turn(newTurnId());
  const [first, second] = await Promise.all([acked.publish(subject, '{"n":1}', 'a:1'), acked.publish(subject, '{"n":2}')]);
  t.equal(second.seq, first.seq + 1, 'stored in the order sent');
  t.notOk(first.duplicate);
  const again = await acked.publish(subject, '{"n":1}', 'a:1');
  t.equal(again.duplicate, true, 'the repeat was dropped');
  t.equal(again.seq, first.seq);
});

t.test('a publish no stream takes is refused, not left waiting', async (t) => {
  await t.rejects(acked.publish('nowhere.at.all', '{}', 'b:1'), /JetStream refused the publish: 503/);
});

t.test('closing fails what still waits and what comes after', async (t) => {
  const closing = new AckedPublish(h.nc);
  const waiting = closing.publish(Subjects.turn(newTurnId()), '{}', 'c:1');
  closing.close();
  await t.rejects(waiting, /closed before the ack/);
  await t.rejects(closing.publish(Subjects.turn(newTurnId()), '{}', 'c:2'), /is closed/, 'and refuses what comes after');
});
