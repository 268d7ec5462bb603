import { crc32, deflateSync } from 'node:zlib';
import { encodeWav } from '@voxgate/provider-sim';

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A real, decodable RGB PNG of the given size (a grey gradient). */
export function png(widthPx: number, heightPx: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(widthPx, 0);
  ihdr.writeUInt32BE(heightPx, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < heightPx; y++) {
    const row = Buffer.alloc(1 + widthPx * 3, (y * 7) % 256);
    row[0] = 0; // filter: none
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG header up to its frame marker (APP0, then SOF0 with the size): enough to sniff. */
export function jpegHeader(widthPx: number, heightPx: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, heightPx >> 8, heightPx & 0xff, widthPx >> 8, widthPx & 0xff, 0x03]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.alloc(9)]);
}

/** A GIF89a header with the size. */
export function gifHeader(widthPx: number, heightPx: number): Buffer {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'ascii');
  b.writeUInt16LE(widthPx, 6);
  b.writeUInt16LE(heightPx, 8);
  return b;
}

/** A lossless WebP header (VP8L) with the size. */
export function webpLosslessHeader(widthPx: number, heightPx: number): Buffer {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(22, 4);
  b.write('WEBP', 8, 'ascii');
  b.write('VP8L', 12, 'ascii');
  b.writeUInt32LE(8, 16);
  b[20] = 0x2f;
  b.writeUInt32LE(((widthPx - 1) & 0x3fff) | (((heightPx - 1) & 0x3fff) << 14), 21);
  return b;
}

/** A valid 16-bit mono PCM WAV of silence. */
export function wav(durationMs: number, sampleRateHz = 16_000): Buffer {
  return encodeWav(Buffer.alloc(Math.round((sampleRateHz * durationMs) / 1000) * 2), sampleRateHz);
}
