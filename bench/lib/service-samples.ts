import { readMetrics } from '../../test/helpers/metrics.js';

/**
 * What a service costs, from its own Prometheus `/metrics` (Node's default metrics): resident
 * memory and the event loop's delay. prom-client resets the delay histogram at every scrape, so a
 * sample taken once a minute gives that minute's delay.
 */
export interface ServiceSample {
  readonly rssMb: number;
  /** V8's heap in use: when RSS grows and this does not, the growth is not live JavaScript objects. */
  readonly heapUsedMb: number;
  /** V8's heap as reserved from the system, used or not. */
  readonly heapTotalMb: number;
  /** Memory outside the V8 heap held by JavaScript objects (Buffers, socket and zlib state). */
  readonly externalMb: number;
  /** The ArrayBuffer (Buffer) part of `external`; NaN from a service without that metric. */
  readonly arrayBuffersMb: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export async function sampleService(baseUrl: string): Promise<ServiceSample | undefined> {
  try {
    const metrics = await readMetrics(baseUrl);
    const get = (name: string) => metrics.get(name) ?? Number.NaN;
    return {
      rssMb: get('process_resident_memory_bytes') / (1024 * 1024),
      heapUsedMb: get('nodejs_heap_size_used_bytes') / (1024 * 1024),
      heapTotalMb: get('nodejs_heap_size_total_bytes') / (1024 * 1024),
      externalMb: get('nodejs_external_memory_bytes') / (1024 * 1024),
      arrayBuffersMb: get('nodejs_array_buffers_bytes') / (1024 * 1024),
      loopDelayP99Ms: get('nodejs_eventloop_lag_p99_seconds') * 1000,
      loopDelayMaxMs: get('nodejs_eventloop_lag_max_seconds') * 1000,
    };
  } catch {
    // A service that does not answer is missing from this minute's sample, not a failed run.
    return undefined;
  }
}

/** Samples every service at once: name → sample. */
export async function sampleServices(urls: Readonly<Record<string, string>>): Promise<Record<string, ServiceSample | undefined>> {
  const entries = await Promise.all(Object.entries(urls).map(async ([name, url]) => [name, await sampleService(url)] as const));
  return Object.fromEntries(entries);
}
