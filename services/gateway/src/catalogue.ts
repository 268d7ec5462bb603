import type { NatsConnection } from 'nats';
import type { FastifyBaseLogger } from 'fastify';
import { CATALOGUE_SERVICES, createParser, ModelCatalogue, Subjects, type ModelEntry } from '@voxgate/protocol';
import { requestJson } from '@voxgate/service-kit';

const catalogueParser = createParser(ModelCatalogue);

/**
 * Asks every model-serving service for its models at once and merges them by id: the same
 * realtime model offered by the relay (WebSocket) and by session (WebRTC) is one entry with both
 * transports. A service that does not answer contributes nothing; the status line says why.
 */
export async function gatherCatalogue(
  nc: NatsConnection,
  log: FastifyBaseLogger,
  options: { timeoutMs: number; requestId: string },
): Promise<ModelCatalogue & { missing: string[] }> {
  const answers = await Promise.allSettled(
    CATALOGUE_SERVICES.map((service) =>
      requestJson(nc, Subjects.catalogue[service], {}, { response: catalogueParser, ...options }),
    ),
  );
  const merged = new Map<string, ModelEntry>();
  const missing: string[] = [];
  answers.forEach((answer, i) => {
    const service = CATALOGUE_SERVICES[i] ?? 'unknown';
    if (answer.status === 'rejected') {
      log.warn({ err: answer.reason, service }, 'no catalogue from service');
      missing.push(service);
      return;
    }
    for (const model of answer.value.models) {
      const known = merged.get(model.id);
      merged.set(model.id, known ? mergeEntries(known, model) : model);
    }
  });
  return { models: [...merged.values()], missing };
}

function mergeEntries(a: ModelEntry, b: ModelEntry): ModelEntry {
  return {
    ...a,
    input: [...new Set([...a.input, ...b.input])],
    transports: [...new Set([...a.transports, ...b.transports])],
    simulated: a.simulated || b.simulated,
  };
}
