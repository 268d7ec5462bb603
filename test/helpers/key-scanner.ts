/** Characters of a key's start or end that count as a leak on their own: enough to narrow a guess. */
export const KEY_FRAGMENT_CHARS = 12;

/** One place a key (or a fragment of one) was found, with the key itself blanked out. */
export interface KeyFinding {
  readonly where: string;
  readonly variable: string;
  readonly excerpt: string;
}

/**
 * Looks for the configured provider keys in text that leaves a service: a response body, a header,
 * a WebSocket frame, a log line. A key counts as leaked when its whole value, its first or its last
 * `KEY_FRAGMENT_CHARS` characters appear (a provider's "Incorrect API key provided: sk-ab…wxyz"
 * echoed on would show an end of it).
 */
export class KeyScanner {
  readonly #needles: { variable: string; fragment: string }[] = [];
  readonly #values: { variable: string; value: string }[] = [];
  readonly #findings: KeyFinding[] = [];
  #scanned = 0;
  #bytes = 0;

  constructor(keys: Record<string, string | undefined>) {
    for (const [variable, value] of Object.entries(keys)) {
      // Short values would match ordinary words; every provider's keys are long.
      if (value === undefined || value.length < 2 * KEY_FRAGMENT_CHARS) continue;
      this.#values.push({ variable, value });
      for (const fragment of new Set([value.slice(0, KEY_FRAGMENT_CHARS), value.slice(-KEY_FRAGMENT_CHARS)])) {
        this.#needles.push({ variable, fragment });
      }
    }
  }

  /** Whether there is anything to look for (a stack without provider keys has none). */
  get armed(): boolean {
    return this.#needles.length > 0;
  }

  /** Scans one piece of text; true when it is clean. */
  scan(text: string | Uint8Array, where: string): boolean {
    const value = typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
    this.#scanned += 1;
    this.#bytes += value.length;
    let clean = true;
    for (const { variable, fragment } of this.#needles) {
      const at = value.indexOf(fragment);
      if (at === -1) continue;
      clean = false;
      this.#findings.push({ where, variable, excerpt: this.#blank(value.slice(Math.max(0, at - 60), at + 60 + fragment.length)) });
    }
    return clean;
  }

  /** The text with every fragment of every key replaced by the variable's name. */
  #blank(text: string): string {
    let out = text;
    for (const { variable, value } of this.#values) out = out.split(value).join(`[${variable}]`);
    for (const { variable, fragment } of this.#needles) out = out.split(fragment).join(`[${variable}]`);
    return out;
  }

  findings(): readonly KeyFinding[] {
    return this.#findings;
  }

  /** How many pieces of text and characters were scanned. */
  counts(): { scanned: number; chars: number } {
    return { scanned: this.#scanned, chars: this.#bytes };
  }
}
