/** Shapes of keys we may not know the value of (another server's key echoed back, say). */
const KEY_PATTERNS = [/\bsk-[A-Za-z0-9_-]{8,}/g, /\bAIza[A-Za-z0-9_-]{20,}/g];

/**
 * The provider keys this process holds, so that no text leaving it (an error chunk, a log line
 * built from a provider's message) can carry one, even when a provider echoes it back.
 */
export class Secrets {
  readonly #values: string[];

  constructor(values: (string | undefined)[]) {
    // Very short values would blank out ordinary words; real keys are long.
    this.#values = values.filter((v): v is string => v !== undefined && v.length >= 8);
  }

  scrub(text: string): string {
    let out = text;
    for (const value of this.#values) out = out.split(value).join('[redacted]');
    for (const pattern of KEY_PATTERNS) out = out.replace(pattern, '[redacted]');
    return out;
  }
}
