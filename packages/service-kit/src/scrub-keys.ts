/** Words shaped like keys a provider may quote back ("Incorrect API key provided: sk-ab…yz"). */
const KEY_SHAPED = [/\b(?:sk|ek|rk|sess)[-_][A-Za-z0-9_*.-]{3,}/g, /\bAIza[A-Za-z0-9_-]{20,}/g];

/**
 * A provider's words made safe to pass on: the keys this process holds, and anything shaped like a
 * key, replaced by `[redacted]`. Providers quote a refused key back, whole or in part.
 */
export function scrubKeys(text: string, keys: readonly (string | undefined)[]): string {
  let out = text;
  // Very short values would blank out ordinary words; real keys are long.
  for (const key of keys) if (key !== undefined && key.length >= 8) out = out.split(key).join('[redacted]');
  for (const pattern of KEY_SHAPED) out = out.replace(pattern, '[redacted]');
  return out;
}
