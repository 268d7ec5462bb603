import t from 'tap';
import { CallRecorder } from '../src/call-recorder.js';
import type { VoiceExchange } from '@voxgate/service-kit';

function recorder() {
  const exchanges: VoiceExchange[] = [];
  return { exchanges, r: new CallRecorder((e) => exchanges.push(e)) };
}
const userSaid = (transcript: string) => ({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_u', transcript });
const modelSaid = (transcript: string, response_id = 'resp_1') => ({ type: 'response.output_audio_transcript.done', response_id, item_id: 'item_a', transcript });
const done = (id: string, status = 'completed', usage: object | null = { input_tokens: 12, output_tokens: 30, total_tokens: 42 }) => ({
  type: 'response.done',
  response: { id, status, usage },
});

t.test('the user’s words, then the answer with its usage, recorded at response.done', async (t) => {
  const { exchanges, r } = recorder();
  r.handle({ type: 'session.created', session: {} });
  r.handle(userSaid('Hello there.'));
  r.handle(userSaid('How are you?'));
  r.handle(modelSaid('I am fine.'));
  t.equal(exchanges.length, 0, 'nothing before response.done');
  r.handle(done('resp_1'));
  t.same(exchanges, [{ userText: 'Hello there. How are you?', answer: 'I am fine.', status: 'done', usage: { inputTokens: 12, outputTokens: 30 } }]);
  r.handle(modelSaid('Anything else?', 'resp_2'));
  r.handle(done('resp_2', 'cancelled', null));
  t.same(exchanges[1], { userText: '', answer: 'Anything else?', status: 'stopped' }, 'interrupted; no usage reported');
});

t.test('an answer only in response.done output, a silent response, junk events', async (t) => {
  const { exchanges, r } = recorder();
  r.handle(userSaid('Call a tool'));
  r.handle(done('resp_tool', 'completed'));
  t.equal(exchanges.length, 0, 'nothing said: the user’s words wait for the next answer');
  r.handle({ type: 'response.done', response: { id: 'resp_3', status: 'completed', output: [{ content: [{ type: 'output_audio', transcript: 'From the output.' }] }] } });
  t.same(exchanges.map((e) => [e.userText, e.answer]), [['Call a tool', 'From the output.']]);
  r.handle('not an event');
  r.handle({ type: 'response.done' });
  r.handle({ type: 'conversation.item.input_audio_transcription.completed', transcript: 42 });
  t.equal(exchanges.length, 1, 'off-schema events are ignored');
  r.handle(modelSaid('Failed half way', 'resp_4'));
  r.handle(done('resp_4', 'failed', null));
  t.equal(exchanges[1]?.status, 'failed');
});

t.test('a re-seeded conversation is not recorded again: only what is said after it', async (t) => {
  const { exchanges, r } = recorder();
  // What the page sends into a new call after a reconnect, as the server confirms each item.
  const seeded = (role: string, type: string, text: string) => ({ type: 'conversation.item.done', item: { type: 'message', role, content: [{ type, text }] } });
  r.handle(seeded('user', 'input_text', 'What is the weather?'));
  r.handle(seeded('assistant', 'output_text', 'Sunny.'));
  r.handle(userSaid('And tomorrow?'));
  r.handle(modelSaid('Rain.'));
  r.handle(done('resp_1'));
  t.same(exchanges.map((e) => [e.userText, e.answer]), [['And tomorrow?', 'Rain.']]);
});
