import { existsSync } from 'node:fs';
import { DOWNSTREAM_SERVICES, type GatewayStatus } from '@voxgate/protocol';
import type { NatsHandle } from '@voxgate/service-kit';
import type { ServiceDirectory } from './service-directory.js';

/**
 * The gateway's view of the system: NATS, each service behind it, and the page it serves.
 * Ready only when all of them are there, since a page whose services are missing cannot work.
 */
export function gatewayStatus(nats: NatsHandle, directory: ServiceDirectory, webRoot: string): GatewayStatus {
  const connected = nats.isConnected();
  const services = directory.status(DOWNSTREAM_SERVICES);
  const reasons: string[] = [];
  if (!connected) reasons.push('NATS is not connected');
  for (const s of services) if (!s.up) reasons.push(`${s.name} is not running`);
  if (!existsSync(webRoot)) reasons.push('the web page is not built (npm run build)');
  return { ready: reasons.length === 0, nats: connected ? 'connected' : 'disconnected', services, reasons };
}
