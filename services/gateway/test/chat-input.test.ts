import t from 'tap';
import { ChatLimits } from '@voxgate/protocol';
import { ServiceError } from '@voxgate/service-kit';
import { parseChatRequest } from '../src/chat-input.js';

const code = (body: unknown): string => {
  try {
    parseChatRequest(body);
    return 'ok';
  } catch (error) {
    return error instanceof ServiceError ? error.code : 'crash';
  }
};
const text = (s: string) => ({ type: 'text', text: s });
const message = (...content: unknown[]) => ({ role: 'user', content });

t.test('a good request passes', async (t) => {
  t.equal(code({ model: 'gpt-4o-mini', message: message(text('hi')) }), 'ok');
  t.equal(code({ model: 'm', message: message({ type: 'image', attachmentId: 'abcdefgh12345678' }) }), 'ok', 'an image alone');
  t.equal(code({ model: 'm', conversationId: 'abcdefgh12345678', regenerate: true }), 'ok', 'regenerate');
});

t.test('each mistake has its own code', async (t) => {
  t.equal(code(null), 'invalid_request');
  t.equal(code([]), 'invalid_request');
  t.equal(code({ model: 'm', message: message() }), 'empty_message');
  t.equal(code({ model: 'm', message: message(text('   \n')) }), 'empty_message');
  t.equal(code({ model: 'm' }), 'empty_message');
  t.equal(code({ model: 'm', regenerate: true }), 'invalid_request', 'regenerate needs a conversation');
  t.equal(code({ model: 'm', message: message(...Array.from({ length: ChatLimits.partsPerMessage + 1 }, () => text('x'))) }), 'too_many_parts');
  t.equal(code({ model: 'm', message: message(text('x'.repeat(ChatLimits.textChars + 1))) }), 'text_too_long');
  t.equal(code({ model: '', message: message(text('hi')) }), 'invalid_request');
  t.equal(code({ model: 'm', message: message({ type: 'image', attachmentId: '../../etc' }) }), 'invalid_request');
  t.equal(code({ model: 'm', message: { role: 'assistant', content: [text('hi')] } }), 'invalid_request');
  t.equal(code({ model: 'm', message: message(text('hi')), extra: 1 }), 'invalid_request');
});
