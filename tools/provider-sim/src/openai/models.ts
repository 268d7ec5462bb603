import type { FastifyInstance } from 'fastify';
import { SIMULATED_MODELS } from '../models.js';
import { openaiError } from './errors.js';

// A fixed creation time keeps listings identical from run to run.
const CREATED = 1_700_000_000;

function model(id: string) {
  return { id, object: 'model', created: CREATED, owned_by: 'voxgate-provider-sim' };
}

/** `GET /models` and `GET /models/:id`, as the `openai` SDK's `models.list()` / `retrieve()` read them. */
export async function openaiModels(app: FastifyInstance): Promise<void> {
  app.get('/models', async () => ({ object: 'list', data: SIMULATED_MODELS.openai.map(model) }));
  app.get<{ Params: { id: string } }>('/models/:id', async (request) => {
    if (!SIMULATED_MODELS.openai.includes(request.params.id)) {
      throw openaiError(404, `The model '${request.params.id}' does not exist`, 'invalid_request_error', {
        param: 'model',
        code: 'model_not_found',
      });
    }
    return model(request.params.id);
  });
}
