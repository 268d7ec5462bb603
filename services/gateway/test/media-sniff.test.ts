import t from 'tap';
import { admitAttachment } from '../src/attachment-intake.js';
import { imageComplete, sniffMedia } from '../src/media-sniff.js';
import { gifHeader, jpegHeader, png, wav, webpLosslessHeader } from './media-fixtures.js';

t.test('images: type and pixel size from the header', async (t) => {
  t.same(sniffMedia(png(640, 480)), { kind: 'image', mime: 'image/png', widthPx: 640, heightPx: 480 });
  t.same(sniffMedia(jpegHeader(1024, 768)), { kind: 'image', mime: 'image/jpeg', widthPx: 1024, heightPx: 768 });
  t.same(sniffMedia(gifHeader(32, 16)), { kind: 'image', mime: 'image/gif', widthPx: 32, heightPx: 16 });
  t.same(sniffMedia(webpLosslessHeader(2048, 1536)), { kind: 'image', mime: 'image/webp', widthPx: 2048, heightPx: 1536 });
});

t.test('audio: container from the magic bytes', async (t) => {
  t.same(sniffMedia(wav(100)), { kind: 'audio', mime: 'audio/wav' });
  t.same(sniffMedia(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81])), { kind: 'audio', mime: 'audio/webm' });
  t.same(sniffMedia(Buffer.from('OggS\0\x02\0\0', 'latin1')), { kind: 'audio', mime: 'audio/ogg' });
  t.same(sniffMedia(Buffer.from('ID3\x04\0\0\0\0', 'latin1')), { kind: 'audio', mime: 'audio/mpeg' });
  t.same(sniffMedia(Buffer.from([0xff, 0xfb, 0x90, 0x64])), { kind: 'audio', mime: 'audio/mpeg' }, 'MP3 frame without ID3');
  t.same(sniffMedia(Buffer.from([0xff, 0xf1, 0x50, 0x80])), { kind: 'audio', mime: 'audio/aac' }, 'ADTS');
  t.same(sniffMedia(Buffer.from('\0\0\0\x20ftypM4A \0\0\0\0', 'latin1')), { kind: 'audio', mime: 'audio/mp4' });
});

t.test('anything else is neither, including cut-short and forged headers', async (t) => {
  t.equal(sniffMedia(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined, 'SVG is not accepted');
  t.equal(sniffMedia(Buffer.from('%PDF-1.7\n')), undefined);
  t.equal(sniffMedia(Buffer.from('just text that claims to be a PNG')), undefined);
  t.equal(sniffMedia(png(10, 10).subarray(0, 20)), undefined, 'PNG cut before its size');
  t.equal(sniffMedia(png(10, 10).fill(0, 16, 24)), undefined, 'PNG of 0×0 pixels');
  t.equal(sniffMedia(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10])), undefined, 'JPEG without a frame');
  t.equal(sniffMedia(Buffer.alloc(0)), undefined);
});

t.test('an image must run to its end and claim a size a decoder can hold', async (t) => {
  const whole = png(64, 48);
  t.ok(imageComplete(whole, 'image/png'), 'a whole PNG');
  t.notOk(imageComplete(whole.subarray(0, whole.length - 12), 'image/png'), 'a PNG without its IEND chunk');
  t.notOk(imageComplete(jpegHeader(640, 480), 'image/jpeg'), 'a JPEG without its end-of-image marker');
  t.ok(imageComplete(Buffer.concat([jpegHeader(640, 480), Buffer.from([0xff, 0xd9])]), 'image/jpeg'));
  t.notOk(imageComplete(webpLosslessHeader(64, 64).subarray(0, 20), 'image/webp'), 'a WebP shorter than its RIFF length');
  const code = (bytes: Buffer) => {
    const admitted = admitAttachment(bytes, 'image');
    return 'code' in admitted ? admitted.code : 'admitted';
  };
  t.equal(code(whole), 'admitted');
  t.equal(code(whole.subarray(0, 40)), 'invalid_image', 'cut short');
  const claiming = (w: number, h: number) => {
    const forged = Buffer.from(whole);
    forged.writeUInt32BE(w, 16);
    forged.writeUInt32BE(h, 20);
    return forged;
  };
  t.equal(code(claiming(16_384, 6_000)), 'admitted', 'a large photo');
  t.equal(code(claiming(20_000, 20_000)), 'attachment_too_large', '400 megapixels in a few hundred bytes');
  t.equal(code(claiming(65_535, 1)), 'attachment_too_large', 'a side over 16,384 px');
});
