// Node's base64 decoder skips characters it does not know, so a damaged payload would still
// "decode"; the simulator must notice, because its answers are how tests prove bytes arrived intact.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes standard base64 strictly: undefined on any stray character or impossible length. */
export function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 === 1 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** A `data:` URL split into its declared media type and decoded bytes. */
export interface DataUrl {
  mimeType: string;
  bytes: Buffer;
}

/**
 * Parses `data:<mime>;base64,<payload>`; undefined when the URL is not a base64 data URL or the
 * payload is not valid base64.
 */
export function parseDataUrl(url: string): DataUrl | undefined {
  const match = /^data:([^;,]*)((?:;[^;,]*)*);base64,/i.exec(url);
  if (!match) return undefined;
  const bytes = decodeBase64(url.slice(match[0].length));
  return bytes === undefined ? undefined : { mimeType: (match[1] ?? '').toLowerCase(), bytes };
}
