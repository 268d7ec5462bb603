import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SimContext } from '../context.js';
import { SIMULATED_MODELS } from '../models.js';
import { BODY_LIMIT_BYTES, providerScope } from '../provider-scope.js';
import { geminiErrors } from './errors.js';
import { type GenerateMethod, generate } from './generate.js';

const API_VERSIONS = ['v1beta', 'v1', 'v1alpha'];
const METHODS: readonly GenerateMethod[] = ['generateContent', 'streamGenerateContent'];

/** A key in `x-goog-api-key` or `?key=`, the two ways the Gemini API takes one. */
function hasKey(request: FastifyRequest): boolean {
  const header = request.headers['x-goog-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return true;
  const key = new URLSearchParams(request.url.split('?')[1] ?? '').get('key');
  return key !== null && key.trim() !== '';
}

function modelInfo(id: string) {
  return {
    name: `models/${id}`,
    version: '001',
    displayName: `${id} (simulated)`,
    description: 'Answered by the Voxgate provider simulator.',
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: [...METHODS],
  };
}

/**
 * The Gemini REST API under the prefix used as `GEMINI_BASE_URL` (`/gemini`). The SDK builds
 * `{base}/{version}/models/{model}:{method}`; the model and method share one path segment.
 * Gemini Live (BidiGenerateContent over WebSocket) is served by upgrade from `live/`, outside
 * Fastify's routing like the other realtime sockets.
 */
export async function geminiApi(app: FastifyInstance, { ctx }: { ctx: SimContext }): Promise<void> {
  providerScope(app, { provider: 'gemini', errors: geminiErrors, hasKey, ctx });

  app.get<{ Params: { version: string } }>('/:version/models', async (request) => {
    if (!API_VERSIONS.includes(request.params.version)) throw geminiErrors.notFound(request.method, request.url.split('?')[0] ?? '');
    return { models: SIMULATED_MODELS.gemini.map(modelInfo) };
  });

  app.get<{ Params: { version: string; model: string } }>('/:version/models/:model', async (request) => {
    const { version, model } = request.params;
    if (!API_VERSIONS.includes(version) || !SIMULATED_MODELS.gemini.includes(model)) {
      throw geminiErrors.notFound(request.method, request.url.split('?')[0] ?? '');
    }
    return modelInfo(model);
  });

  app.post<{ Params: { version: string; call: string } }>('/:version/models/:call', { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
    const { version, call } = request.params;
    const colon = call.lastIndexOf(':');
    const model = call.slice(0, colon);
    const method = METHODS.find((m) => m === call.slice(colon + 1));
    if (!API_VERSIONS.includes(version) || colon <= 0 || method === undefined) {
      throw geminiErrors.notFound(request.method, request.url.split('?')[0] ?? '');
    }
    return generate(ctx, request, reply, model, method);
  });
}
