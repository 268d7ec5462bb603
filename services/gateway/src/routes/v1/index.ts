import type { FastifyInstance } from 'fastify';
import { errorBody } from '@voxgate/service-kit';
import type { TrustedProxies } from '../../access/trusted-proxies.js';
import { openAiErrorType } from '../../openai/wire.js';
import { v1Auth } from './auth.js';
import { v1ChatCompletionsRoute, type V1ChatOptions } from './chat-completions.js';
import { v1ClientSecretsRoute } from './client-secrets.js';
import { v1ModelsRoute } from './models.js';

/**
 * The OpenAI-compatible API for programs, under `/v1`: the gate first, and errors in the kit's
 * shape plus OpenAI's `type`, which its SDKs read.
 */
export async function v1Routes(app: FastifyInstance, options: V1ChatOptions & { apiKeys: string | undefined; proxies: TrustedProxies }): Promise<void> {
  const gate = v1Auth(options.apiKeys, (request) => options.proxies.isLocal(request));
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      gate(request.raw);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
  app.addHook('preSerialization', async (_request, reply, payload: unknown) => {
    if (reply.statusCode >= 400 && typeof payload === 'object' && payload !== null && 'error' in payload) {
      const error = (payload as { error: Record<string, unknown> }).error;
      if (typeof error === 'object' && error !== null) {
        error.type ??= openAiErrorType(reply.statusCode);
        error.param ??= null;
        // OpenAI's own code for it, which programs written against OpenAI test for.
        if (error.code === 'unknown_model') error.code = 'model_not_found';
      }
    }
    return payload;
  });
  // The SDKs read it into `requestID`, which is what to quote when asking about a failure.
  app.addHook('onSend', (request, reply, _payload, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('not_found', `Unknown API route: ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`, request.id));
  });
  await app.register(v1ModelsRoute, options);
  await app.register(v1ChatCompletionsRoute, options);
  await app.register(v1ClientSecretsRoute, options);
}
