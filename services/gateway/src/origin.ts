import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** The origins named in `ALLOWED_ORIGINS`, normalised; empty means "the gateway's own origin". */
export function parseAllowedOrigins(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '')
    .map((o) => new URL(o).origin);
}

/** The origin a browser on this gateway's own page sends: its scheme and the Host it asked for. */
function ownOrigin(request: IncomingMessage): string | undefined {
  const host = request.headers.host;
  if (host === undefined) return undefined;
  const scheme = (request.socket as TLSSocket).encrypted ? 'https' : 'http';
  return `${scheme}://${host.toLowerCase()}`;
}

/**
 * Whether a browser page from `Origin` may use this connection. Browsers always send `Origin` on
 * WebSocket upgrades, so its absence means a program, which cross-site rules do not concern.
 */
export function originAllowed(request: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  let normalised: string;
  try {
    normalised = new URL(origin).origin;
  } catch {
    return false;
  }
  if (allowed.length > 0) return allowed.includes(normalised);
  return normalised === ownOrigin(request);
}
