import t from 'tap';
import { ChatLimits } from '@voxgate/protocol';
import { ServiceError } from '@voxgate/service-kit';
import { fromChatCompletionRequest, renameAttachments } from '../src/openai/convert.js';
import { isLoopback } from '../src/access/trusted-proxies.js';
import { png, wav } from './media-fixtures.js';

const TURN = 'turn_abcdefgh1234';
const codeOf = (body: unknown): string => {
  try {
    fromChatCompletionRequest(body, TURN);
    return 'ok';
  } catch (error) {
    return error instanceof ServiceError ? error.code : 'crash';
  }
};

t.test('OpenAI messages become a stateless turn with inline files split out', async (t) => {
  const image = png(8, 4);
  const audio = wav(50);
  const converted = fromChatCompletionRequest(
    {
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 12,
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'assistant', content: null },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${image.toString('base64')}`, detail: 'low' } },
            { type: 'input_audio', input_audio: { data: audio.toString('base64'), format: 'wav' } },
          ],
        },
      ],
    },
    TURN,
  );
  t.equal(converted.stream, true);
  t.equal(converted.includeUsage, true);
  t.equal(converted.start.mode, 'stateless');
  t.equal(converted.start.maxOutputTokens, 12);
  t.equal(converted.attachments.length, 2);
  const [img, aud] = converted.attachments;
  t.has(img?.record, { kind: 'image', mime: 'image/png', width: 8, height: 4, bytes: image.length });
  t.has(aud?.record, { kind: 'audio', mime: 'audio/wav', bytes: audio.length });
  t.same(converted.start.messages, [
    { role: 'system', content: [{ type: 'text', text: 'be brief' }] },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image', attachmentId: img?.record.id },
        { type: 'audio', attachmentId: aud?.record.id },
      ],
    },
  ]);
});

t.test('the same file again in a request (a resent history) is one attachment; renaming points the parts elsewhere', async (t) => {
  const image = png(8, 8);
  const part = { type: 'image_url', image_url: { url: `data:image/png;base64,${image.toString('base64')}` } };
  const converted = fromChatCompletionRequest(
    {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'look' }, part] },
        { role: 'assistant', content: 'a square' },
        { role: 'user', content: [part, { type: 'image_url', image_url: { url: `data:image/png;base64,${png(9, 9).toString('base64')}` } }] },
      ],
    },
    TURN,
  );
  t.equal(converted.attachments.length, 2, 'two distinct files');
  const [first, second] = converted.attachments;
  const ids = converted.start.messages.flatMap((m) => m.content.flatMap((p) => (p.type === 'text' ? [] : [p.attachmentId])));
  t.same(ids, [first?.record.id, first?.record.id, second?.record.id], 'both occurrences refer to the first');
  t.not(first?.key, second?.key);

  const renamed = renameAttachments(converted.start, new Map([[first?.record.id ?? '', 'sharedcopy1234']]));
  const after = renamed.messages.flatMap((m) => m.content.flatMap((p) => (p.type === 'text' ? [] : [p.attachmentId])));
  t.same(after, ['sharedcopy1234', 'sharedcopy1234', second?.record.id]);
  t.same(converted.start.messages.flatMap((m) => m.content.flatMap((p) => (p.type === 'text' ? [] : [p.attachmentId]))), ids, 'the original turn is left as it was');
});

t.test('bad OpenAI requests are refused with a code', async (t) => {
  const user = (content: unknown) => ({ model: 'm', messages: [{ role: 'user', content }] });
  t.equal(codeOf(user('hi')), 'ok');
  t.equal(codeOf({ model: 'm', messages: [] }), 'invalid_request');
  t.equal(codeOf(user('')), 'empty_message');
  t.equal(codeOf(user([{ type: 'image_url', image_url: { url: 'http://169.254.169.254/latest' } }])), 'invalid_request', 'no URLs fetched');
  t.equal(codeOf(user([{ type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from('not a png').toString('base64')}` } }])), 'invalid_image');
  t.equal(codeOf(user([{ type: 'input_audio', input_audio: { data: png(2, 2).toString('base64'), format: 'wav' } }])), 'invalid_audio');
  t.equal(codeOf(user(Array.from({ length: ChatLimits.partsPerMessage + 1 }, () => ({ type: 'text', text: 'x' })))), 'too_many_parts');
  t.equal(codeOf(user('x'.repeat(ChatLimits.textChars + 1))), 'text_too_long');
  t.equal(codeOf({ model: 'm', messages: Array.from({ length: ChatLimits.messagesPerRequest + 1 }, () => ({ role: 'user', content: 'x' })) }), 'too_many_messages');
  t.equal(codeOf({ model: 'm', n: 2, messages: [{ role: 'user', content: 'x' }] }), 'invalid_request');
  const huge = 'A'.repeat(Math.ceil((ChatLimits.imageBytes * 4) / 3) + 100);
  t.equal(codeOf(user([{ type: 'image_url', image_url: { url: `data:image/png;base64,${huge}` } }])), 'attachment_too_large');
});

t.test('loopback addresses', async (t) => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) t.ok(isLoopback(a), a);
  for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1', undefined]) t.notOk(isLoopback(a), String(a));
});
