import type { IncomingMessage } from 'node:http';

/** The login cookie's name; over TLS the `__Host-` prefix makes browsers insist on Secure, Path=/ and no Domain. */
export const loginCookieName = (tls: boolean): string => (tls ? '__Host-voxgate-login' : 'voxgate-login');

/** One cookie's value from the request's `Cookie` header. */
export function readCookie(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure over TLS, with an expiry. */
export function loginCookie(name: string, value: string, options: { maxAgeS: number; tls: boolean }): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${options.maxAgeS}${options.tls ? '; Secure' : ''}`;
}
