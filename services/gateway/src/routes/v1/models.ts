import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { createParser, ModelCatalogue, ServiceName, Subjects, type ModelEntry } from '@voxgate/protocol';
import { requestJson, type NatsHandle } from '@voxgate/service-kit';
import { errors } from '../../errors.js';
import { fromNatsFailure } from '../../nats-errors.js';

const catalogueParser = createParser(ModelCatalogue);
const Params = createParser(Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }));

/** OpenAI's model object; `created` is unknown for most providers, so 0 (the SDK only reads it). */
const toOpenAi = (m: ModelEntry) => ({ id: m.id, object: 'model' as const, created: 0, owned_by: m.provider });

/** `GET /v1/models` (OpenAI's list shape) and `GET /v1/models/:id`: the text models llm-text serves. */
export async function v1ModelsRoute(app: FastifyInstance, options: { nats: NatsHandle; timeoutMs: number }): Promise<void> {
  const textModels = async (requestId: string): Promise<ModelEntry[]> => {
    try {
      const catalogue = await requestJson(options.nats.nc, Subjects.catalogue[ServiceName.llmText], {}, {
        response: catalogueParser,
        timeoutMs: options.timeoutMs,
        requestId,
      });
      return catalogue.models.filter((m) => m.kind === 'text');
    } catch (error) {
      throw fromNatsFailure(error);
    }
  };

  app.get('/models', async (request) => ({ object: 'list', data: (await textModels(request.id)).map(toOpenAi) }));

  // Model ids of compatible servers contain a slash (`ollama/llama3.2`), hence the wildcard.
  app.get('/models/*', async (request) => {
    const parsed = Params.parse({ id: (request.params as Record<string, string>)['*'] });
    const model = parsed.ok ? (await textModels(request.id)).find((m) => m.id === parsed.value.id) : undefined;
    if (!model) throw errors.unknown_model();
    return toOpenAi(model);
  });
}
