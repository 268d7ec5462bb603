/** What an image's own header says about it: enough to prove it arrived intact and decodes. */
export interface ImageHeader {
  format: 'png' | 'jpeg' | 'gif' | 'webp';
  widthPx: number;
  heightPx: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Reads the dimensions from a PNG, JPEG, GIF or WebP header; undefined for anything else or a
 * header cut short. Only headers are read, so a truncated body still passes; byte counts in the
 * request log are what prove the whole image arrived.
 */
export function readImageHeader(bytes: Buffer): ImageHeader | undefined {
  try {
    if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return png(bytes);
    if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpeg(bytes);
    const ascii6 = bytes.toString('latin1', 0, 6);
    if (ascii6 === 'GIF87a' || ascii6 === 'GIF89a') return sized('gif', bytes.readUInt16LE(6), bytes.readUInt16LE(8));
    if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return webp(bytes);
  } catch (error) {
    // A header shorter than its own fields throws RangeError from the Buffer readers.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  return undefined;
}

function sized(format: ImageHeader['format'], widthPx: number, heightPx: number): ImageHeader | undefined {
  return widthPx > 0 && heightPx > 0 ? { format, widthPx, heightPx } : undefined;
}

function png(bytes: Buffer): ImageHeader | undefined {
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return sized('png', bytes.readUInt32BE(16), bytes.readUInt32BE(20));
}

/** Walks the JPEG segments up to the first start-of-frame marker, which carries the size. */
function jpeg(bytes: Buffer): ImageHeader | undefined {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes.readUInt8(offset + 1);
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    // Standalone markers (TEM, RSTn) have no length field.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) return sized('jpeg', bytes.readUInt16BE(offset + 7), bytes.readUInt16BE(offset + 5));
    offset += 2 + bytes.readUInt16BE(offset + 2);
  }
  return undefined;
}

function webp(bytes: Buffer): ImageHeader | undefined {
  const chunk = bytes.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return sized('webp', 1 + bytes.readUIntLE(24, 3), 1 + bytes.readUIntLE(27, 3));
  if (chunk === 'VP8 ') {
    // Lossy: a 3-byte frame tag, the start code 9d 01 2a, then 14-bit width and height.
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return undefined;
    return sized('webp', bytes.readUInt16LE(26) & 0x3fff, bytes.readUInt16LE(28) & 0x3fff);
  }
  if (chunk === 'VP8L') {
    // Lossless: signature 0x2f, then width-1 and height-1 packed as two 14-bit fields.
    if (bytes[20] !== 0x2f) return undefined;
    const bits = bytes.readUInt32LE(21);
    return sized('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  return undefined;
}
