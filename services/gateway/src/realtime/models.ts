import type { FastifyBaseLogger } from 'fastify';
import type { NatsConnection } from 'nats';
import { ServiceName, type ModelEntry } from '@voxgate/protocol';
import type { ServiceError } from '@voxgate/service-kit';
import { gatherCatalogue } from '../catalogue.js';
import { errors } from '../errors.js';

/**
 * How long a catalogue that contains the asked model is trusted. Opening many sessions at once
 * (a page reconnecting after a relay died, a benchmark) then costs one NATS round, not one each;
 * a model that is missing from the cached copy is always asked again, so a relay that just came up
 * is seen at once.
 */
const CATALOGUE_CACHE_MS = 5_000;
const MAX_MODEL_ID_LENGTH = 200;

type Catalogue = { models: ModelEntry[]; missing: string[]; atMs: number };

/**
 * Checks a realtime upgrade's `model` against the catalogue before any relay is dialed: a model
 * that is not realtime, or that no relay serves, is refused with a clear 4xx at the gateway.
 */
export class RealtimeModels {
  #cached: Catalogue | undefined;
  #inFlight: Promise<Catalogue> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: FastifyBaseLogger,
    private readonly timeoutMs: number,
  ) {}

  /** Undefined when `model` can be relayed over WebSocket; otherwise the error to answer with. */
  async check(model: string | null, requestId: string): Promise<ServiceError | undefined> {
    if (!model) return errors.invalid_request({ message: 'The `model` query parameter is required.' });
    if (model.length > MAX_MODEL_ID_LENGTH) return errors.invalid_request({ message: 'The `model` query parameter is too long.' });
    const cached = this.#cached;
    if (cached && Date.now() - cached.atMs < CATALOGUE_CACHE_MS && judge(cached, model) === undefined) return undefined;
    return judge(await this.#fetch(requestId), model);
  }

  #fetch(requestId: string): Promise<Catalogue> {
    this.#inFlight ??= gatherCatalogue(this.nc, this.log, { timeoutMs: this.timeoutMs, requestId })
      .then((answer) => {
        this.#cached = { ...answer, atMs: Date.now() };
        return this.#cached;
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }
}

function judge(catalogue: Catalogue, model: string): ServiceError | undefined {
  const entry = catalogue.models.find((m) => m.id === model);
  if (entry?.kind === 'realtime' && entry.transports.includes('websocket')) return undefined;
  if (entry && entry.kind !== 'realtime') {
    return errors.not_realtime_model({ message: `'${model}' is not a realtime model; use the chat API for it.` });
  }
  // Without an answer from any relay the gateway cannot tell a typo from a model nobody serves now.
  if (catalogue.missing.includes(ServiceName.realtimeRelay)) return errors.no_relay();
  return errors.unknown_model({ message: `No relay serves '${model.slice(0, MAX_MODEL_ID_LENGTH)}' over WebSocket.` });
}
