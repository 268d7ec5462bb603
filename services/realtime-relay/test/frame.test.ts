import t from 'tap';
import { appendAudio, findStringValue, isBase64, parseObject, peekType, withType } from '../src/frame.js';

const b = (text: string) => Buffer.from(text);

t.test('peekType finds the top-level type cheaply', async (t) => {
  t.equal(peekType(b('{"type":"response.create"}')), 'response.create', 'type first');
  t.equal(peekType(b('{"event_id":"ev_1","type":"input_audio_buffer.append","audio":""}')), 'input_audio_buffer.append', 'type after event_id');
  t.equal(peekType(b(' \n\t{ "type" :\t"session.update" , "session":{} }\r\n ')), 'session.update', 'whitespace everywhere JSON allows it');
  t.equal(peekType(b('{"response":{"id":"r"},"type":"response.done"}')), 'response.done', 'type after an object');
});

t.test('peekType is not fooled by nested or quoted "type"', async (t) => {
  t.equal(peekType(b('{"item":{"type":"message","role":"user"},"type":"conversation.item.create"}')), 'conversation.item.create', 'a nested type is not the event type');
  t.equal(peekType(b('{"tools":[{"type":"function"}],"type":"session.update"}')), 'session.update', 'a type inside an array is skipped');
  t.equal(peekType(b('{"event_id":"\\"type\\":\\"x\\"","type":"real"}')), 'real', 'an escaped "type" inside a string is skipped');
  t.equal(peekType(b('{"event_id":"type","type":"real"}')), 'real', 'the string "type" as a value is not a key');
  t.equal(peekType(b('{"event_id":"a\\\\","type":"real"}')), 'real', 'an escaped backslash ends the string correctly');
});

t.test('peekType says "parse it" rather than guess', async (t) => {
  t.equal(peekType(b('{"type":"a\\"b"}')), undefined, 'an escaped quote in the value');
  t.equal(peekType(b('{"type":"\\u0061ppend"}')), undefined, 'a unicode escape in the value');
  t.equal(peekType(b(`{"event_id":"${'x'.repeat(300)}","type":"response.create"}`)), undefined, 'type beyond the peek window');
  t.equal(peekType(b('{"type":"response.create"')), undefined, 'no closing brace');
  t.equal(peekType(b('["type","x"]')), undefined, 'not an object');
  t.equal(peekType(b('hello')), undefined, 'not JSON');
  t.equal(peekType(b('')), undefined, 'empty');
  t.equal(peekType(b('{"type":42}')), undefined, 'a type that is not a string');
  t.equal(peekType(b('{"kind":"x"}')), undefined, 'no type');
});

t.test('peekType on a huge frame looks at its start only', async (t) => {
  const audio = Buffer.alloc(6 * 1024 * 1024, 1).toString('base64');
  const frame = b(`{"type":"input_audio_buffer.append","audio":"${audio}"}`);
  const startedAt = performance.now();
  for (let i = 0; i < 1_000; i++) peekType(frame);
  const perCallUs = ((performance.now() - startedAt) * 1000) / 1_000;
  t.equal(peekType(frame), 'input_audio_buffer.append');
  t.ok(perCallUs < 100, `independent of the frame size (${perCallUs.toFixed(2)} µs per call on an 8 MiB frame)`);
});

t.test('withType renames the top-level type only', async (t) => {
  const frame = b('{"event_id":"e","type":"response.audio.delta","delta":"AAAA"}');
  t.equal(String(withType(frame, 'response.audio.delta', 'response.output_audio.delta')), '{"event_id":"e","type":"response.output_audio.delta","delta":"AAAA"}');
  const nested = b('{"note":{"type":"response.audio.delta"},"type":"response.audio.delta","delta":"AAAA"}');
  t.equal(
    String(withType(nested, 'response.audio.delta', 'response.output_audio.delta')),
    '{"note":{"type":"response.audio.delta"},"type":"response.output_audio.delta","delta":"AAAA"}',
    'a nested value equal to the type is left alone',
  );
  t.equal(withType(frame, 'response.text.delta', 'x'), undefined, 'another type: nothing to rename');
});

t.test('audio values are found and checked without parsing', async (t) => {
  const frame = b('{"event_id":"audio","type":"input_audio_buffer.append","audio":"AAECAw=="}');
  const range = findStringValue(frame, 'audio');
  t.equal(range && frame.toString('latin1', range.start, range.end), 'AAECAw==', 'the key, not a value equal to it');
  t.same(appendAudio(frame), range);
  t.equal(appendAudio(b('{"type":"input_audio_buffer.append"}')), 'missing');
  t.equal(appendAudio(b('{"type":"input_audio_buffer.append","audio":"AAE"}')), 'invalid', 'not padded');
  t.equal(appendAudio(b('{"type":"input_audio_buffer.append","audio":"AA-_"}')), 'invalid', 'base64url is not base64');
  t.ok(isBase64(b('""'), 1, 1), 'empty is valid base64');
  t.notOk(isBase64(b('A==='), 0, 4), 'three pad characters');
});

t.test('parseObject takes JSON objects only', async (t) => {
  t.same(parseObject(b('{"type":"x"}')), { type: 'x' });
  t.equal(parseObject(b('[1]')), undefined);
  t.equal(parseObject(b('null')), undefined);
  t.equal(parseObject(b('{')), undefined);
});
