import t from 'tap';
import { readAudioHeader } from '../src/media/audio-info.js';
import { decodeBase64, parseDataUrl } from '../src/media/base64.js';
import { readImageHeader } from '../src/media/image-size.js';
import { countTokens, tokenize } from '../src/tokens.js';
import { makeJpegHeader, makePng, makeWav } from './helpers/media.js';

t.test('image headers give format and size for PNG, JPEG, GIF and the three WebP flavours', async (t) => {
  t.same(readImageHeader(makePng(640, 480)), { format: 'png', widthPx: 640, heightPx: 480 });
  t.same(readImageHeader(makeJpegHeader(1920, 1080)), { format: 'jpeg', widthPx: 1920, heightPx: 1080 });

  const gif = Buffer.from('GIF89a\x20\x03\x58\x02\x00\x00\x00;', 'latin1');
  t.same(readImageHeader(gif), { format: 'gif', widthPx: 800, heightPx: 600 });

  const riff = (chunk: string, body: number[]) =>
    Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBP', 'latin1'), Buffer.from(chunk, 'latin1'), Buffer.alloc(4), Buffer.from(body)]);
  // VP8X stores width-1 and height-1 as 24-bit little-endian numbers after 4 flag bytes.
  t.same(readImageHeader(riff('VP8X', [0, 0, 0, 0, 0x1f, 0x03, 0x00, 0xe7, 0x03, 0x00])), { format: 'webp', widthPx: 800, heightPx: 1000 });
  // VP8 (lossy): frame tag, start code, then 14-bit sizes: 320 x 240.
  t.same(readImageHeader(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00])), { format: 'webp', widthPx: 320, heightPx: 240 });
  // VP8L (lossless): signature 0x2f, then (w-1) | (h-1) << 14 in 28 bits: 100 x 50.
  const bits = 99 | (49 << 14);
  t.same(readImageHeader(riff('VP8L', [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >> 24) & 0xff])), {
    format: 'webp',
    widthPx: 100,
    heightPx: 50,
  });
});

t.test('bytes that are not an image, or a header cut short, give no size', async (t) => {
  t.equal(readImageHeader(Buffer.from('hello, not an image')), undefined);
  t.equal(readImageHeader(makePng(10, 10).subarray(0, 18)), undefined);
  t.equal(readImageHeader(makeJpegHeader(10, 10).subarray(0, 12)), undefined);
  t.equal(readImageHeader(Buffer.alloc(0)), undefined);
});

t.test('a WAV header gives the duration; other containers are recognised by their magic', async (t) => {
  t.same(readAudioHeader(makeWav(1500)), { format: 'wav', mimeType: 'audio/wav', sampleRateHz: 16_000, channels: 1, durationMs: 1500 });
  // Streaming recorders leave the data size as 0xFFFFFFFF; the bytes present decide.
  const streamed = makeWav(250, 24_000);
  streamed.writeUInt32LE(0xffffffff, 40);
  t.equal(readAudioHeader(streamed)?.durationMs, 250);
  t.equal(readAudioHeader(Buffer.concat([Buffer.from('ID3'), Buffer.alloc(20)]))?.format, 'mp3');
  t.equal(readAudioHeader(Buffer.concat([Buffer.from('OggS'), Buffer.alloc(20)]))?.format, 'ogg');
  t.equal(readAudioHeader(Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(20)]))?.format, 'webm');
  t.equal(readAudioHeader(Buffer.from('definitely not audio at all')), undefined);
});

t.test('base64 is decoded strictly, so damaged payloads are noticed', async (t) => {
  const bytes = makePng(3, 3);
  t.same(decodeBase64(bytes.toString('base64')), bytes);
  t.equal(decodeBase64('aGVsbG8*'), undefined);
  t.equal(decodeBase64('aGVsb'), undefined);
  t.same(parseDataUrl(`data:image/png;base64,${bytes.toString('base64')}`), { mimeType: 'image/png', bytes });
  t.equal(parseDataUrl('data:image/png,not-base64'), undefined);
  t.equal(parseDataUrl(bytes.toString('base64')), undefined);
});

t.test('tokens are short word-pieces that join back into the exact text', async (t) => {
  for (const text of ['Hello, world!', '  leading and trailing  ', 'supercalifragilistic', '你好，世界', 'mixed 中文 and English\nnew line', '']) {
    t.equal(tokenize(text).join(''), text, JSON.stringify(text));
  }
  t.same(tokenize('Simulated answer.'), ['Simu', 'late', 'd', ' answ', 'er', '.']);
  t.equal(countTokens('你好，世界'), 5);
});
