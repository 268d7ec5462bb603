import type { FastifyInstance } from 'fastify';
import { GatewayStatus } from '@voxgate/protocol';

/** `GET /api/status`: what the page's status line shows. Always 200: the page reads `ready`. */
export async function statusRoute(app: FastifyInstance, options: { status: () => GatewayStatus }): Promise<void> {
  app.get('/status', { schema: { response: { 200: GatewayStatus } } }, async () => options.status());
}
