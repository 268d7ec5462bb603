import { networkInterfaces } from 'node:os';
import type { RelayConfig } from './config.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

function firstExternalIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  return undefined;
}

/**
 * The WebSocket address the gateway dials for this replica. In compose every scaled replica has
 * its own container address, which is why it is found here rather than configured.
 */
export function advertisedAddress(config: RelayConfig): string {
  const host =
    config.RELAY_ADVERTISE_HOST ?? (WILDCARDS.has(config.HOST) ? (firstExternalIpv4() ?? '127.0.0.1') : config.HOST);
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `ws://${bracketed}:${config.PORT}`;
}
