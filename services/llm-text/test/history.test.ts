import t from 'tap';
import { Type } from 'typebox';
import { Conversation, ConversationList, ConversationSummary, createParser, JetStreamNames, Subjects } from '@voxgate/protocol';
import { NatsRequestError } from '@voxgate/service-kit';
import { makePng } from '../../../tools/provider-sim/test/helpers/media.js';
import { startHarness, textOf } from './helpers/harness.js';

const h = await startHarness();
t.teardown(() => h.close());

const parseConversation = createParser(Conversation);
const parseList = createParser(ConversationList);
const parseSummary = createParser(ConversationSummary);
const parseDeleted = createParser(Type.Object({ deleted: Type.Boolean() }));
const say = (text: string) => [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }];
const get = (id: string) => h.request(Subjects.conversations.get, { id }, parseConversation);
const list = async () => (await h.request(Subjects.conversations.list, {}, parseList)).conversations;

/** One exchange in a conversation; returns its conversation id and answer. */
async function exchange(text: string, conversationId?: string) {
  const started = await h.start({ model: 'gpt-4o-mini', mode: 'conversation', messages: say(text), maxOutputTokens: 60, ...(conversationId ? { conversationId } : {}) });
  const chunks = await h.chunks(started.turnId);
  return { conversationId: started.conversationId, answer: textOf(chunks), chunks };
}

t.test('a new conversation is titled from the first words and keeps its exchanges in order', async (t) => {
  const first = await exchange('Plan a trip to the mountains in early spring please, with a budget');
  const second = await exchange('And what should I pack?', first.conversationId);
  t.equal(second.conversationId, first.conversationId);
  t.match(second.answer, /I received 3 messages/, 'the model read the earlier exchange as context');
  const conversation = await get(first.conversationId);
  t.equal(conversation.title, 'Plan a trip to the mountains in early…', 'the first eight words');
  t.same(conversation.turns.map((turn) => [turn.user.content, turn.answer, turn.status]), [
    [say('Plan a trip to the mountains in early spring please, with a budget')[0]?.content, first.answer, 'done'],
    [say('And what should I pack?')[0]?.content, second.answer, 'done'],
  ]);
  t.equal((await list())[0]?.id, first.conversationId, 'the latest conversation is listed first');
});

t.test('rename, regenerate and delete', async (t) => {
  const { conversationId } = await exchange('First question');
  const original = await exchange('Second question', conversationId);
  const renamed = await h.request(Subjects.conversations.rename, { id: conversationId, title: '新的标题' }, parseSummary);
  t.equal(renamed.title, '新的标题');
  t.equal((await list()).find((c) => c.id === conversationId)?.title, '新的标题');

  const again = await h.start({ model: 'gemini-2.5-flash', mode: 'conversation', conversationId, messages: [], regenerate: true, maxOutputTokens: 60 });
  const regenerated = textOf(await h.chunks(again.turnId));
  t.match(regenerated, /^Simulated answer from gemini-2\.5-flash\. You said: "Second question"/);
  const turns = (await get(conversationId)).turns;
  t.same(turns.map((turn) => turn.model), ['gpt-4o-mini', 'gemini-2.5-flash'], 'the last exchange was replaced');
  t.equal(turns.at(-1)?.answer, regenerated);
  t.notOk(turns.some((turn) => turn.answer === original.answer), 'the old answer is gone');

  const image = await h.attach('image', 'image/png', makePng(16, 16));
  const withImage = await h.start({
    model: 'gpt-4o-mini',
    mode: 'conversation',
    conversationId,
    messages: [{ role: 'user', content: [{ type: 'image', attachmentId: image }] }],
    maxOutputTokens: 60,
  });
  await h.chunks(withImage.turnId);
  t.same((await get(conversationId)).turns.at(-1)?.user.content, [{ type: 'image', attachmentId: image }], 'images stored by reference');

  t.same(await h.request(Subjects.conversations.delete, { id: conversationId }, parseDeleted), { deleted: true });
  await t.rejects(get(conversationId), { code: 'conversation_not_found', statusCode: 404 });
  t.notOk((await list()).some((c) => c.id === conversationId));
  const os = await h.nc.jetstream().views.os(JetStreamNames.attachmentsBucket);
  t.equal(await os.get(image), null, "the conversation's attachments are deleted too");
  await t.rejects(h.request(Subjects.conversations.rename, { id: conversationId, title: 'x' }, parseSummary), NatsRequestError);
});

t.test('history survives restarting llm-text and NATS', async (t) => {
  const { conversationId, answer } = await exchange('Remember me');
  await h.stopLlmText();
  await h.nats.stop();
  await h.nats.start();
  await h.startLlmText();
  const conversation = await get(conversationId);
  t.same(conversation.turns.map((turn) => turn.answer), [answer]);
  const next = await exchange('Still there?', conversationId);
  t.match(next.answer, /I received 3 messages/);
});
