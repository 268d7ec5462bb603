import type { FastifyInstance } from 'fastify';
import { openAiErrorType } from '../../openai/wire.js';
import { v1Auth } from './auth.js';
import { v1ChatCompletionsRoute, type V1ChatOptions } from './chat-completions.js';
import { v1ClientSecretsRoute } from './client-secrets.js';
import { v1ModelsRoute } from './models.js';

/**
 * The OpenAI-compatible API for programs, under `/v1`: the gate first, and errors in the kit's
 * shape plus OpenAI's `type`, which its SDKs read.
 */
export async function v1Routes(app: FastifyInstance, options: V1ChatOptions & { apiKeys: string | undefined }): Promise<void> {
  app.addHook('onRequest', v1Auth(options.apiKeys));
  app.addHook('preSerialization', async (_request, reply, payload: unknown) => {
    if (reply.statusCode >= 400 && typeof payload === 'object' && payload !== null && 'error' in payload) {
      const error = (payload as { error: Record<string, unknown> }).error;
      if (typeof error === 'object' && error !== null && error.type === undefined) error.type = openAiErrorType(reply.statusCode);
    }
    return payload;
  });
  await app.register(v1ModelsRoute, options);
  await app.register(v1ChatCompletionsRoute, options);
  await app.register(v1ClientSecretsRoute, options);
}
