/**
 * Remembered choices. Storage can be missing or throw (private windows, disabled cookies);
 * the page then simply forgets between visits instead of failing.
 */
const PREFIX = 'voxgate.';

export type PrefKey = 'lang' | 'model' | 'voice' | 'talkMode' | 'transport';

export function readPref(key: PrefKey): string | undefined {
  try {
    return localStorage.getItem(PREFIX + key) ?? undefined;
  } catch {
    return undefined;
  }
}

export function writePref(key: PrefKey, value: string): void {
  try {
    localStorage.setItem(PREFIX + key, value);
  } catch {
    // Not remembering is acceptable; see above.
  }
}
