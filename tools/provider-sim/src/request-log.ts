import type { Sampling } from './answers.js';
import type { PartSummary } from './content.js';
import type { FaultKind } from './faults.js';
import type { ProviderId } from './provider.js';

/** Parts listed per request at most; a long history is summarised by its count. */
const MAX_PARTS_PER_RECORD = 64;

/**
 * One request as `GET /_sim/requests` shows it. It says whether credentials came with the request,
 * never what they were; the path carries no query string, where Gemini keys may travel.
 */
export interface RequestRecord {
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  provider: ProviderId;
  authPresent: boolean;
  model?: string;
  stream?: boolean;
  maxTokens?: number;
  /** Sampling and format options the request carried (none: the field is absent). */
  sampling?: Sampling;
  messages?: number;
  parts?: PartSummary[];
  partsOmitted?: number;
  /** The fault injected into this request, if one was. */
  fault?: FaultKind;
}

/** Details a handler learns about a request after its body has been parsed; undefined ones are left out. */
export type RequestDetails = {
  [K in 'model' | 'stream' | 'maxTokens' | 'sampling' | 'messages' | 'fault']?: RequestRecord[K] | undefined;
} & { parts?: readonly PartSummary[] };

/** The last `limit` requests, oldest first. */
export class RequestLog {
  #seq = 0;
  #records: RequestRecord[] = [];

  constructor(readonly limit: number) {}

  /** Starts a record as soon as a request arrives, so refused requests show up too. */
  open(entry: Omit<RequestRecord, 'seq' | 'receivedAt'>): RequestRecord {
    const record: RequestRecord = { seq: ++this.#seq, receivedAt: new Date().toISOString(), ...entry };
    this.#records.push(record);
    if (this.#records.length > this.limit) this.#records.splice(0, this.#records.length - this.limit);
    return record;
  }

  /** Adds what the handler learnt; records are shared objects, so the log sees it at once. */
  note(record: RequestRecord, details: RequestDetails): void {
    const { parts, ...rest } = details;
    for (const [key, value] of Object.entries(rest)) if (value !== undefined) Object.assign(record, { [key]: value });
    if (parts !== undefined) {
      record.parts = parts.slice(0, MAX_PARTS_PER_RECORD);
      if (parts.length > MAX_PARTS_PER_RECORD) record.partsOmitted = parts.length - MAX_PARTS_PER_RECORD;
    }
  }

  list(provider?: ProviderId): readonly RequestRecord[] {
    return provider === undefined ? this.#records : this.#records.filter((r) => r.provider === provider);
  }

  clear(): void {
    this.#records = [];
  }
}
