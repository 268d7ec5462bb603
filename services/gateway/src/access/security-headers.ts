import type { FastifyInstance } from 'fastify';

/**
 * What the page needs and nothing more: its own module scripts and AudioWorklets, its stylesheet
 * (styles set from script go through the CSSOM, which `style-src` does not block), fetch, SSE and
 * WebSockets to its own origin (`'self'` covers ws:/wss: of the same host), image previews and
 * recordings as blob:/data: URLs. WebRTC media is not governed by CSP. No inline script anywhere,
 * the login form included, so no `'unsafe-inline'`.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** A year, as HSTS preload lists expect; only sent over TLS, where the browser believes it. */
const HSTS = 'max-age=31536000; includeSubDomains';

/** Headers on every gateway response: the page, the API, errors and 404s alike. */
export function securityHeaders(app: FastifyInstance, options: { tls: boolean }): void {
  const headers: Record<string, string> = {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    // Not `no-referrer`: under it Chromium sends `Origin: null` with the page's own form posts,
    // and the login form's same-origin check would refuse them.
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), geolocation=(), microphone=(self)',
    ...(options.tls ? { 'strict-transport-security': HSTS } : {}),
  };
  // A callback hook, not an async one: nothing here waits, and every request (each chat turn's
  // start among them) would otherwise wait a promise's turn before its next hook.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}
