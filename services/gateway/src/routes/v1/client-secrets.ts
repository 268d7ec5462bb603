import type { FastifyInstance } from 'fastify';
import { ClientSecretRequest, ClientSecretResponse, createParser, WebrtcSubjects } from '@voxgate/protocol';
import { requestJson, type NatsHandle } from '@voxgate/service-kit';
import { requireJson } from '../../chat-input.js';
import { errors } from '../../errors.js';
import { fromNatsFailure } from '../../nats-errors.js';

const requestParser = createParser(ClientSecretRequest);
const responseParser = createParser(ClientSecretResponse);
/** Session asks OpenAI with its own timeout and answers first; this only catches a silent session. */
const CLIENT_SECRET_TIMEOUT_MS = 15_000;

/**
 * `POST /v1/realtime/client_secrets` for programs (behind the `/v1` gate): OpenAI's GA request and
 * response, minted by session with the server key. The server caps the lifetime and allows only
 * the OpenAI realtime models it offers. The `ek_…` value is the answer; it is never logged here.
 */
export async function v1ClientSecretsRoute(app: FastifyInstance, options: { nats: NatsHandle }): Promise<void> {
  app.post('/realtime/client_secrets', async (request, reply) => {
    requireJson(request.headers['content-type']);
    const parsed = requestParser.parse(request.body);
    if (!parsed.ok) throw errors.invalid_request({ message: `Invalid client secret request at ${parsed.error}` });
    try {
      const secret = await requestJson(options.nats.nc, WebrtcSubjects.clientSecrets, parsed.value, {
        response: responseParser,
        timeoutMs: CLIENT_SECRET_TIMEOUT_MS,
        requestId: request.id,
      });
      request.log.info({ model: parsed.value.session.model, expiresAt: secret.expires_at }, 'client secret issued');
      // A secret: no cache on the way may keep it.
      return reply.header('cache-control', 'no-store').send(secret);
    } catch (error) {
      throw fromNatsFailure(error);
    }
  });
}
