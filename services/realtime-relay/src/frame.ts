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
 * Where the top-level `type` value of a JSON object frame lies, if it appears unescaped within the
 * first bytes and the frame looks like one object (`{` … `}`); `undefined` means "parse it to find
 * out". Only keys of the outer object count: a nested `{"item":{"type":"message"}}` seen first is
 * skipped, and so is a `"type"` inside a string.
 */
function locateType(frame: Buffer): { value: string; start: number; end: number } | undefined {
  const start = skipSpaces(frame, 0, frame.length);
  if (frame[start] !== 0x7b) return undefined;
  let last = frame.length - 1;
  while (last > start && (frame[last] === 0x20 || frame[last] === 0x0a || frame[last] === 0x0d || frame[last] === 0x09)) last--;
  if (frame[last] !== 0x7d) return undefined;
  const limit = Math.min(frame.length, PEEK_BYTES);
  let depth = 0;
  for (let i = start; i < limit; i++) {
    const c = frame[i];
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === QUOTE) {
      // Skip the whole string (escapes included); at depth 1 it may be the key `type`.
      const open = i;
      let j = i + 1;
      while (j < limit && frame[j] !== QUOTE) j += frame[j] === BACKSLASH ? 2 : 1;
      if (j >= limit) return undefined;
      i = j;
      if (depth !== 1 || j - open !== TYPE_KEY.length - 1 || frame.compare(TYPE_KEY, 0, TYPE_KEY.length, open, j + 1) !== 0) continue;
      const colon = skipSpaces(frame, j + 1, limit);
      if (frame[colon] !== 0x3a) continue;
      const at = skipSpaces(frame, colon + 1, limit);
      const found = plainString(frame, at, limit);
      return found ? { value: found.value, start: at, end: found.endIndex + 1 } : undefined;
    }
  }
  return undefined;
}

/** The top-level `type` of a JSON object frame, read without parsing; `undefined`: parse it to find out. */
export function peekType(frame: Buffer): string | undefined {
  return locateType(frame)?.value;
}

/** `"<key>"` as bytes, made once per key: the search runs for every audio frame. */
const needles = new Map<string, Buffer>();

/** Where the string value of `"<key>":` starts and ends (exclusive), searching the whole frame. */
export function findStringValue(frame: Buffer, key: string): { start: number; end: number } | undefined {
  let needle = needles.get(key);
  if (needle === undefined) {
    needle = Buffer.from(`"${key}"`);
    needles.set(key, needle);
  }
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
 * without parsing them). `undefined` when the type is not `from` where `peekType` finds it.
 */
export function withType(frame: Buffer, from: string, to: string): Buffer | undefined {
  const found = locateType(frame);
  if (found?.value !== from) return undefined;
  return Buffer.concat([frame.subarray(0, found.start), Buffer.from(`"${to}"`), frame.subarray(found.end)]);
}
