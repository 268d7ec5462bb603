import t from 'tap';
import { HeardAnswers, heardPart } from '../src/heard.js';

t.test('heardPart cuts the transcript in proportion to the audio played, at a word', async (t) => {
  const text = 'The weather in Paris is clear and warm today.';
  t.equal(heardPart(text, 1000, 1000), text, 'all of it played');
  t.equal(heardPart(text, 5000, 1000), text, 'a cut past the end changes nothing');
  t.equal(heardPart(text, 0, 1000), '', 'none of it played');
  // 45 characters: half of them at 500 ms ends after "is"; 40 % (18) falls inside "Paris", which was not heard whole.
  t.equal(heardPart(text, 500, 1000), 'The weather in Paris is');
  t.equal(heardPart(text, 400, 1000), 'The weather in');
  t.equal(heardPart(text, 300, 0), text, 'no audio length known: nothing to cut by');
  t.equal(heardPart('你好，今天天气很好', 500, 1000), '你好，今天', 'text without spaces is cut where the proportion falls');
  t.equal(heardPart('a 😀😀😀 b', 500, 1000), 'a', 'characters, not UTF-16 units, are counted');
});

t.test('an answer is written once it can no longer be truncated, as heard', async (t) => {
  const written: [string, string][] = [];
  const heard = new HeardAnswers((text, itemId) => void written.push([itemId, text]));
  heard.audio('item_a', 600);
  heard.audio('item_a', 400);
  heard.transcript('item_a', 'one two three four five six seven eight nine ten');
  t.same(written, [], 'a finished answer waits: a barge-in may still truncate it');
  heard.truncated('item_a', 500);
  heard.settle();
  t.same(written, [['item_a', 'one two three four five']], 'written at the next input, cut where playback stopped');
  heard.truncated('item_a', 100);
  heard.transcript('item_a', 'one two three four five six seven eight nine ten');
  t.equal(written.length, 1, 'neither a later truncate nor a repeated transcript writes it again');

  // Settled before its transcript came (the user spoke over an answer still streaming).
  heard.audio('item_b', 200);
  heard.settle();
  heard.truncated('item_b', 50);
  t.equal(written.length, 1, 'nothing to write yet');
  heard.transcript('item_b', 'late but whole');
  t.same(written.at(-1), ['item_b', 'late but whole'], 'written when its transcript comes; it could no longer be truncated');

  heard.transcript('item_c', 'said at the end');
  heard.audio('item_d', 100);
  heard.end();
  t.same(written.at(-1), ['item_c', 'said at the end'], 'the session end writes what has a transcript');
  t.equal(written.length, 3, 'and forgets what has none');
});

t.test('memory is bounded: past 32 waiting answers the oldest is written as it stands', async (t) => {
  const written: string[] = [];
  const heard = new HeardAnswers((_text, itemId) => void written.push(itemId));
  for (let i = 0; i < 40; i++) heard.transcript(`item_${i}`, `answer ${i}`);
  t.same(written, Array.from({ length: 8 }, (_, i) => `item_${i}`));
});
