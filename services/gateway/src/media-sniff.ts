/**
 * What a file really is, from its first bytes. The type a client claims is never trusted: a
 * provider given a "PNG" that is not one fails in confusing ways, and the page shows thumbnails
 * with the type stored here.
 */
export type Sniffed =
  | { kind: 'image'; mime: string; widthPx: number; heightPx: number }
  | { kind: 'audio'; mime: string };

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean => {
  if (bytes.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
};

const u16be = (b: Uint8Array, o: number) => ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
const u16le = (b: Uint8Array, o: number) => (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, o: number) => u16le(b, o) | ((b[o + 2] ?? 0) << 16);
const u32be = (b: Uint8Array, o: number) => ((u16be(b, o) << 16) >>> 0) + u16be(b, o + 2);

/** An image's size, or undefined when the header is not one of the formats we accept or is cut short. */
function sniffImage(b: Uint8Array): Sniffed | undefined {
  // PNG: signature, then IHDR as the first chunk with width and height.
  if (b.length >= 24 && u32be(b, 0) === 0x89504e47 && u32be(b, 4) === 0x0d0a1a0a && ascii(b, 12, 'IHDR')) {
    return image('image/png', u32be(b, 16), u32be(b, 20));
  }
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) {
    return b.length >= 10 ? image('image/gif', u16le(b, 6), u16le(b, 8)) : undefined;
  }
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return sniffWebp(b);
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return sniffJpeg(b);
  return undefined;
}

function sniffWebp(b: Uint8Array): Sniffed | undefined {
  if (ascii(b, 12, 'VP8X') && b.length >= 30) return image('image/webp', u24le(b, 24) + 1, u24le(b, 27) + 1);
  // Lossless: a 0x2f signature byte, then 14-bit width-1 and height-1.
  if (ascii(b, 12, 'VP8L') && b.length >= 25 && b[20] === 0x2f) {
    const bits = ((b[21] ?? 0) | ((b[22] ?? 0) << 8) | ((b[23] ?? 0) << 16) | ((b[24] ?? 0) << 24)) >>> 0;
    return image('image/webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  // Lossy: a key frame's start code 9d 01 2a, then 14-bit width and height.
  if (ascii(b, 12, 'VP8 ') && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return image('image/webp', u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  return undefined;
}

/** Walks the JPEG segments to the first start-of-frame marker, which holds the size. */
function sniffJpeg(b: Uint8Array): Sniffed | undefined {
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return undefined;
    const marker = b[o + 1] ?? 0;
    // Fill bytes and markers without a length.
    if (marker === 0xff) {
      o += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2;
      continue;
    }
    const length = u16be(b, o + 2);
    if (length < 2) return undefined;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return o + 9 <= b.length ? image('image/jpeg', u16be(b, o + 7), u16be(b, o + 5)) : undefined;
    if (marker === 0xd9 || marker === 0xda) return undefined;
    o += 2 + length;
  }
  return undefined;
}

function image(mime: string, widthPx: number, heightPx: number): Sniffed | undefined {
  return widthPx > 0 && heightPx > 0 ? { kind: 'image', mime, widthPx, heightPx } : undefined;
}

function sniffAudio(b: Uint8Array): Sniffed | undefined {
  const audio = (mime: string): Sniffed => ({ kind: 'audio', mime });
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return audio('audio/wav');
  if (ascii(b, 0, 'OggS')) return audio('audio/ogg');
  if (ascii(b, 0, 'fLaC')) return audio('audio/flac');
  // EBML header: WebM (what browsers' MediaRecorder writes) or Matroska.
  if (u32be(b, 0) === 0x1a45dfa3) return audio('audio/webm');
  // ISO base media: MP4 / M4A (Safari's MediaRecorder, iPhone voice memos).
  if (ascii(b, 4, 'ftyp')) return audio('audio/mp4');
  if (ascii(b, 0, 'ID3')) return audio('audio/mpeg');
  if (b.length >= 4 && b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0) {
    // MPEG frame sync: layer bits 00 is AAC in ADTS framing, anything else MP3 (or MP2).
    return ((b[1] ?? 0) & 0x06) === 0 ? audio('audio/aac') : audio('audio/mpeg');
  }
  return undefined;
}

/** The image or audio format of `bytes`, from its magic bytes; undefined when it is neither. */
export function sniffMedia(bytes: Uint8Array): Sniffed | undefined {
  return sniffImage(bytes) ?? sniffAudio(bytes);
}

/**
 * Whether an image's bytes run to the end its format marks (PNG's IEND chunk, JPEG's end-of-image
 * marker, GIF's trailer, the length in WebP's RIFF header). A cut-off upload would otherwise be
 * stored and fail at the provider with a message that says nothing about the file.
 */
export function imageComplete(bytes: Uint8Array, mime: string): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (mime) {
    case 'image/png':
      return b.lastIndexOf('IEND', undefined, 'latin1') > 33;
    case 'image/jpeg':
      return b.lastIndexOf(Buffer.from([0xff, 0xd9])) > 2;
    case 'image/gif':
      return b.lastIndexOf(0x3b) > 12;
    case 'image/webp':
      return b.length >= 12 && b.readUInt32LE(4) + 8 <= b.length;
    default:
      return true;
  }
}
