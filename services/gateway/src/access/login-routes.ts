import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { originAllowed } from '../origin.js';
import { loginCookie, readCookie } from './cookies.js';
import { LOGIN_CSS, loginPage, pickLanguage, type LoginNotice } from './login-page.js';
import type { LoginSessions } from './login-sessions.js';
import type { TrustedProxies } from './trusted-proxies.js';

/** Wrong passwords one address may send in `FAILURE_WINDOW_MS` before it has to wait out the window. */
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 15 * 60_000;
/** Every wrong password is answered this late, so one connection cannot try quickly. */
const FAILURE_DELAY_MS = 1_000;
const FORM_BODY_LIMIT_BYTES = 4 * 1024;

const digest = (value: string) => createHash('sha256').update(value).digest();
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LoginOptions {
  password: string;
  sessions: LoginSessions;
  cookieName: string;
  tls: boolean;
  proxies: TrustedProxies;
  allowedOrigins: readonly string[];
}

/**
 * `GET /login` (the form), `POST /login` (a form post: the cookie and a redirect to the page, or
 * the form again with a message) and `POST /logout`. Wrong passwords are slowed down and, past a
 * few from one address, refused with 429 for a while.
 */
export async function loginRoutes(app: FastifyInstance, options: LoginOptions): Promise<void> {
  const expected = digest(options.password);
  const failures = new Map<string, { count: number; firstMs: number }>();

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const page = (language: ReturnType<typeof pickLanguage>, notice?: LoginNotice) => loginPage(language, notice);

  app.get('/login', async (request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page(pickLanguage(request.headers['accept-language']))),
  );
  app.get('/login.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(LOGIN_CSS));

  app.post('/login', async (request, reply) => {
    const language = pickLanguage(request.headers['accept-language']);
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    if (!originAllowed(request.raw, options.allowedOrigins)) return reply.code(403).send(page(language));
    const address = options.proxies.clientAddress(request.raw);
    const nowMs = Date.now();
    let record = failures.get(address);
    if (record && nowMs - record.firstMs >= FAILURE_WINDOW_MS) {
      failures.delete(address);
      record = undefined;
    }
    if (record && record.count >= MAX_FAILURES) {
      const retryAfterS = Math.ceil((record.firstMs + FAILURE_WINDOW_MS - nowMs) / 1000);
      request.log.warn({ failures: record.count, retryAfterS }, 'login refused: too many wrong passwords');
      return reply.code(429).header('retry-after', String(retryAfterS)).send(page(language, 'throttled'));
    }
    const body = request.body as Record<string, unknown> | undefined;
    const given = typeof body?.password === 'string' ? body.password : '';
    if (!timingSafeEqual(digest(given), expected)) {
      if (failures.size > 100_000) failures.clear();
      failures.set(address, { count: (record?.count ?? 0) + 1, firstMs: record?.firstMs ?? nowMs });
      request.log.info({ failures: (record?.count ?? 0) + 1 }, 'login failed: wrong password');
      await delay(FAILURE_DELAY_MS);
      return reply.code(401).send(page(language, 'wrong'));
    }
    failures.delete(address);
    const login = await options.sessions.create();
    const maxAgeS = Math.floor((login.expiresAtMs - Date.now()) / 1000);
    request.log.info({ expiresAt: new Date(login.expiresAtMs).toISOString() }, 'logged in');
    return reply
      .code(303)
      .header('set-cookie', loginCookie(options.cookieName, login.token, { maxAgeS, tls: options.tls }))
      .header('location', '/')
      .send();
  });

  app.post('/logout', async (request, reply) => {
    if (originAllowed(request.raw, options.allowedOrigins)) await options.sessions.end(readCookie(request.raw, options.cookieName));
    return reply
      .code(303)
      .header('set-cookie', loginCookie(options.cookieName, '', { maxAgeS: 0, tls: options.tls }))
      .header('location', '/login')
      .send();
  });
}
