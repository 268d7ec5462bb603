import { deflateSync } from 'node:zlib';
import { gifHeader, jpegHeader, png, webpLosslessHeader } from '../../services/gateway/test/media-fixtures.js';
import { encodeWav } from '@voxgate/provider-sim';

/** An upload that must be refused, with the type its sender claims. */
export interface HostileUpload {
  readonly name: string;
  readonly type: string;
  readonly bytes: Buffer;
}

/** A PNG whose header claims `width`×`height` over a short IDAT that inflates to `inflatedBytes` zeros. */
function claimedPng(widthPx: number, heightPx: number, inflatedBytes = 1_024): Buffer {
  const real = png(1, 1);
  const out = Buffer.from(real);
  out.writeUInt32BE(widthPx >>> 0, 16);
  out.writeUInt32BE(heightPx >>> 0, 20);
  const idat = deflateSync(Buffer.alloc(inflatedBytes));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(idat.length);
  // Signature and IHDR (33 bytes), a deflate bomb as IDAT (the CRC is not what a sniffer reads), IEND.
  return Buffer.concat([out.subarray(0, 33), length, Buffer.from('IDAT'), idat, Buffer.alloc(4), out.subarray(out.length - 12)]);
}

/** Files that are not what they claim, cut short, absurdly large in pixels, or over the byte limits. */
export function hostileMedia(random: () => number): HostileUpload[] {
  const junk = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const full = png(64, 48);
  const wav = encodeWav(Buffer.alloc(4_800), 24_000);
  const uploads: HostileUpload[] = [
    { name: 'text-as-png', type: 'image/png', bytes: Buffer.from('just some text, not an image') },
    { name: 'html-as-png', type: 'image/png', bytes: Buffer.from('<html><script>alert(1)</script></html>') },
    { name: 'svg-script', type: 'image/svg+xml', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>') },
    { name: 'elf-as-jpeg', type: 'image/jpeg', bytes: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), junk(200)]) },
    { name: 'pdf-as-png', type: 'image/png', bytes: Buffer.from('%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF') },
    { name: 'zip-as-webp', type: 'image/webp', bytes: Buffer.concat([Buffer.from('PK\u0003\u0004'), junk(100)]) },
    { name: 'bmp', type: 'image/bmp', bytes: Buffer.concat([Buffer.from('BM'), junk(60)]) },
    { name: 'tiff', type: 'image/tiff', bytes: Buffer.concat([Buffer.from('II*\u0000'), junk(60)]) },
    { name: 'random-bytes', type: 'image/png', bytes: junk(4_096) },
    { name: 'wav-as-image', type: 'image/png', bytes: wav },
    { name: 'png-as-audio', type: 'audio/wav', bytes: full },
    { name: 'text-as-audio', type: 'audio/mpeg', bytes: Buffer.from('not audio at all') },
    { name: 'riff-not-wave', type: 'audio/wav', bytes: Buffer.concat([Buffer.from('RIFF\u0010\u0000\u0000\u0000AVI '), junk(40)]) },
    { name: 'one-byte', type: 'image/png', bytes: Buffer.from([0x89]) },
    { name: 'empty', type: 'image/png', bytes: Buffer.alloc(0) },
    { name: 'octet-stream-text', type: 'application/octet-stream', bytes: Buffer.from('plain text') },
    { name: 'type-image-bare', type: 'image/', bytes: Buffer.from('x') },
    { name: 'type-with-params', type: 'image/png; charset=utf-8; x="', bytes: Buffer.from('not png') },
    { name: 'png-signature-only', type: 'image/png', bytes: full.subarray(0, 8) },
    { name: 'png-signature-junk', type: 'image/png', bytes: Buffer.concat([full.subarray(0, 8), junk(64)]) },
    { name: 'png-zero-size', type: 'image/png', bytes: claimedPng(0, 0) },
    { name: 'jpeg-zero-size', type: 'image/jpeg', bytes: jpegHeader(0, 0) },
    { name: 'jpeg-broken-segment', type: 'image/jpeg', bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0x00]) },
    { name: 'gif-header-cut', type: 'image/gif', bytes: Buffer.from('GIF89a') },
  ];
  for (const cut of [16, 20, 23, 40]) uploads.push({ name: `png-cut-at-${cut}`, type: 'image/png', bytes: full.subarray(0, cut) });
  uploads.push({ name: 'png-cut-in-half', type: 'image/png', bytes: full.subarray(0, Math.floor(full.length / 2)) });
  uploads.push({ name: 'png-without-iend', type: 'image/png', bytes: full.subarray(0, full.length - 12) });
  uploads.push({ name: 'jpeg-header-only', type: 'image/jpeg', bytes: jpegHeader(640, 480) });
  uploads.push({ name: 'webp-cut', type: 'image/webp', bytes: webpLosslessHeader(64, 64).subarray(0, 20) });
  for (const [w, h] of [
    [65_535, 65_535],
    [2_147_483_647, 1],
    [1, 2_147_483_647],
    [4_294_967_295, 4_294_967_295],
    [100_000, 100_000],
  ] as const) {
    uploads.push({ name: `png-${w}x${h}`, type: 'image/png', bytes: claimedPng(w, h) });
  }
  uploads.push({ name: 'png-bomb-20000x20000', type: 'image/png', bytes: claimedPng(20_000, 20_000, 4_000_000) });
  uploads.push({ name: 'gif-65535x65535', type: 'image/gif', bytes: Buffer.concat([gifHeader(65_535, 65_535), Buffer.from([0x3b])]) });
  uploads.push({ name: 'webp-16384x16384', type: 'image/webp', bytes: webpLosslessHeader(16_384, 16_384) });
  uploads.push({ name: 'png-over-byte-limit', type: 'image/png', bytes: Buffer.concat([full, Buffer.alloc(10 * 1024 * 1024)]) });
  return uploads;
}
