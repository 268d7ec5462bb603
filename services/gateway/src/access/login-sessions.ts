import { createHash, randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { NatsConnection } from 'nats';
import { KvMirror } from './kv-mirror.js';

const BUCKET = 'voxgate-logins';
/** 256 random bits: the cookie is the whole credential, so it cannot be guessed. */
const TOKEN_BYTES = 32;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** KV keys are digests, so a reader of the bucket cannot replay a login. */
const keyOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Logins to the page: random tokens (the cookie's value), kept by digest with their expiry in a
 * KV bucket shared by every gateway replica, so a cookie works on any of them and logging out
 * ends it on all (which a signed cookie could not do).
 */
export class LoginSessions {
  private constructor(
    private readonly mirror: KvMirror,
    private readonly lifetimeMs: number,
  ) {}

  static async open(nc: NatsConnection, options: { lifetimeMs: number; log: FastifyBaseLogger }): Promise<LoginSessions> {
    return new LoginSessions(await KvMirror.open(nc, { bucket: BUCKET, maxAgeMs: options.lifetimeMs, log: options.log }), options.lifetimeMs);
  }

  /** A new login; its token goes into the cookie. */
  async create(): Promise<{ token: string; expiresAtMs: number }> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAtMs = Date.now() + this.lifetimeMs;
    await this.mirror.kv.put(keyOf(token), String(expiresAtMs));
    this.mirror.remember(keyOf(token), String(expiresAtMs));
    return { token, expiresAtMs };
  }

  /**
   * Whether the cookie's token is a live login. A token this replica has not seen yet (the watch
   * a few milliseconds behind another replica's login) is looked up in the bucket.
   */
  async valid(token: string | undefined): Promise<boolean> {
    if (token === undefined || !TOKEN.test(token)) return false;
    const key = keyOf(token);
    let expiresAt = this.mirror.get(key);
    if (expiresAt === undefined) {
      const entry = await this.mirror.kv.get(key).catch(() => null);
      if (entry?.operation !== 'PUT') return false;
      expiresAt = entry.string();
    }
    return (Number(expiresAt) || 0) > Date.now();
  }

  async end(token: string | undefined): Promise<void> {
    if (token === undefined || !TOKEN.test(token)) return;
    this.mirror.forget(keyOf(token));
    await this.mirror.kv.delete(keyOf(token));
  }

  close(): void {
    this.mirror.close();
  }
}
