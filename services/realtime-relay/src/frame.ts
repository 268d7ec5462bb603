/**
 * Cheap looks into JSON text frames without parsing them. Audio frames (~3 KB of base64 each,
 * 20–100 per second per direction) are the relay's hot path: they are recognised by the `type`
 * near their start and forwarded as the same bytes, never parsed and re-serialised.
 */

const TYPE_KEY = Buffer.from('"type"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Serialisers put `type` first or after a short `event_id`; past this it is parsed the slow way. */
const PEEK_BYTES = 256;

function skipSpaces(buf: Buffer, i: number, end: number): number {
  let j = i;
  while (j < end) {
    const c = buf[j];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    j++;
  }
  return j;
}

/** Reads the JSON string starting at the quote at `start` if it has no escapes; its end index too. */
function plainString(buf: Buffer, start: number, end: number): { value: string; endIndex: number } | undefined {
  if (buf[start] !== QUOTE) return undefined;
  for (let j = start + 1; j < end; j++) {
    const c = buf[j];
    if (c === BACKSLASH) return undefined;
    if (c === QUOTE) return { value: buf.toString('latin1', start + 1, j), endIndex: j };
  }
  return undefined;
}

/**
 * The `type` of a JSON object frame if it appears, unescaped, within the first bytes, and the
 * frame looks like one object (`{` … `}`); `undefined` means "parse it to find out".
 */
export function peekType(frame: Buffer): string | undefined {
  const start = skipSpaces(frame, 0, frame.length);
  if (frame[start] !== 0x7b) return undefined;
  let last = frame.length - 1;
  while (last > start && (frame[last] === 0x20 || frame[last] === 0x0a || frame[last] === 0x0d || frame[last] === 0x09)) last--;
  if (frame[last] !== 0x7d) return undefined;
  const limit = Math.min(frame.length, PEEK_BYTES);
  const at = frame.subarray(0, limit).indexOf(TYPE_KEY);
  if (at < 0) return undefined;
  let i = skipSpaces(frame, at + TYPE_KEY.length, limit);
  if (frame[i] !== 0x3a) return undefined;
  i = skipSpaces(frame, i + 1, limit);
  return plainString(frame, i, limit)?.value;
}

/** Where the string value of `"<key>":` starts and ends (exclusive), searching the whole frame. */
export function findStringValue(frame: Buffer, key: string): { start: number; end: number } | undefined {
  const needle = Buffer.from(`"${key}"`);
  let from = 0;
  for (;;) {
    const at = frame.indexOf(needle, from);
    if (at < 0) return undefined;
    let i = skipSpaces(frame, at + needle.length, frame.length);
    if (frame[i] === 0x3a) {
      i = skipSpaces(frame, i + 1, frame.length);
      if (frame[i] !== QUOTE) return undefined;
      const close = frame.indexOf(QUOTE, i + 1);
      if (close < 0) return undefined;
      return { start: i + 1, end: close };
    }
    from = at + needle.length;
  }
}

/** Byte → 1 if it may appear in standard base64 text (`A–Z a–z 0–9 + /`). */
const BASE64_CHAR = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_CHAR[c.charCodeAt(0)] = 1;

/**
 * Whether `frame[start, end)` is padded standard base64. A byte loop over the whole value: about
 * 6 µs for a 50 ms frame (3.2 KB of base64, value found and checked) on these machines, cheaper than any decode, and unlike a sample
 * it cannot let a bad byte through to the provider.
 */
export function isBase64(frame: Buffer, start: number, end: number): boolean {
  const length = end - start;
  if (length % 4 !== 0) return false;
  let body = end;
  if (length > 0 && frame[end - 1] === 0x3d) body--;
  if (length > 1 && frame[end - 2] === 0x3d) body--;
  for (let i = start; i < body; i++) {
    if (BASE64_CHAR[frame[i] as number] !== 1) return false;
  }
  return true;
}

/** The `audio` of an `input_audio_buffer.append` frame, checked to be base64, without parsing it. */
export function appendAudio(frame: Buffer): { start: number; end: number } | 'missing' | 'invalid' {
  const range = findStringValue(frame, 'audio');
  if (range === undefined) return 'missing';
  return isBase64(frame, range.start, range.end) ? range : 'invalid';
}

/** Parses a control frame; `undefined` for anything but a JSON object. */
export function parseObject(frame: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(frame.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The frame with its top-level `type` value replaced, by splicing bytes (for renaming audio deltas
 * without parsing them). `undefined` when the type is not where `peekType` finds it.
 */
export function withType(frame: Buffer, from: string, to: string): Buffer | undefined {
  const needle = Buffer.from(`"${from}"`);
  const at = frame.subarray(0, Math.min(frame.length, PEEK_BYTES + needle.length)).indexOf(needle);
  if (at < 0) return undefined;
  return Buffer.concat([frame.subarray(0, at), Buffer.from(`"${to}"`), frame.subarray(at + needle.length)]);
}
