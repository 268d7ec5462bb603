import { isPlainObject } from '../../realtime/params.js';

/** Client secrets remembered at once; the oldest are forgotten first. */
const MAX_SECRETS = 1_000;
export const DEFAULT_SECRET_TTL_S = 600;
export const MIN_SECRET_TTL_S = 10;
export const MAX_SECRET_TTL_S = 7_200;

export interface IssuedSecret {
  expiresAtMs: number;
  model: string;
  /** The GA session config the secret was minted with; calls made with it start from this. */
  session: Record<string, unknown>;
}

/** Ephemeral keys (`ek_…`) handed out by `POST /realtime/client_secrets`, until they expire. */
export class ClientSecrets {
  readonly #secrets = new Map<string, IssuedSecret>();

  issue(value: string, secret: IssuedSecret): void {
    this.#prune(Date.now());
    this.#secrets.set(value, secret);
    if (this.#secrets.size > MAX_SECRETS) {
      const oldest = this.#secrets.keys().next().value;
      if (oldest !== undefined) this.#secrets.delete(oldest);
    }
  }

  /** The secret behind a key, if it exists and has not expired. A secret may start many calls. */
  lookup(value: string): IssuedSecret | undefined {
    const secret = this.#secrets.get(value);
    if (secret === undefined) return undefined;
    if (secret.expiresAtMs <= Date.now()) {
      this.#secrets.delete(value);
      return undefined;
    }
    return secret;
  }

  #prune(nowMs: number): void {
    for (const [value, secret] of this.#secrets) if (secret.expiresAtMs <= nowMs) this.#secrets.delete(value);
  }
}

/** `expires_after` of the GA request, or why it is not acceptable. */
export function secretTtlSeconds(expiresAfter: unknown): { ok: true; seconds: number } | { ok: false; param: string; message: string } {
  if (expiresAfter === undefined) return { ok: true, seconds: DEFAULT_SECRET_TTL_S };
  if (!isPlainObject(expiresAfter)) return { ok: false, param: 'expires_after', message: "Invalid type for 'expires_after': expected an object." };
  const { anchor, seconds } = expiresAfter as Record<string, unknown>;
  if (anchor !== undefined && anchor !== 'created_at') {
    return { ok: false, param: 'expires_after.anchor', message: `Invalid value: '${String(anchor)}'. Supported values are: 'created_at'.` };
  }
  if (seconds === undefined) return { ok: true, seconds: DEFAULT_SECRET_TTL_S };
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < MIN_SECRET_TTL_S || seconds > MAX_SECRET_TTL_S) {
    return {
      ok: false,
      param: 'expires_after.seconds',
      message: `Invalid 'expires_after.seconds': expected an integer from ${MIN_SECRET_TTL_S} to ${MAX_SECRET_TTL_S}, but got ${String(seconds)} instead.`,
    };
  }
  return { ok: true, seconds };
}
