import { buildSimulator, type Fault, type FaultRequest, type ProviderId, type ProviderSimOptions, type RequestRecord } from '../../src/app.js';

/** A simulator listening on a free loopback port for one test file, with its control API at hand. */
export interface Sim {
  url: string;
  openaiBase: string;
  geminiBase: string;
  zhipuBase: string;
  /** Queues a fault through `POST /_sim/faults`, exactly as an outside test would. */
  fault(request: FaultRequest): Promise<Fault>;
  /** `GET /_sim/requests`, oldest first. */
  requests(provider?: ProviderId): Promise<RequestRecord[]>;
  /** Clears faults and the request log between subtests. */
  reset(): Promise<void>;
}

export async function startSim(t: { teardown(fn: () => unknown): void }, options: ProviderSimOptions = {}): Promise<Sim> {
  const app = buildSimulator(options);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const control = async (method: string, path: string, body?: unknown) => {
    const init: RequestInit = { method };
    if (body !== undefined) Object.assign(init, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const response = await fetch(`${url}/_sim${path}`, init);
    if (!response.ok) throw new Error(`${method} /_sim${path} answered ${response.status}: ${await response.text()}`);
    return response.json();
  };
  return {
    url,
    openaiBase: `${url}/openai/v1`,
    geminiBase: `${url}/gemini`,
    zhipuBase: `${url}/zhipu/api/paas/v4`,
    fault: async (request) => ((await control('POST', '/faults', request)) as { fault: Fault }).fault,
    requests: async (provider) => ((await control('GET', `/requests${provider ? `?provider=${provider}` : ''}`)) as { requests: RequestRecord[] }).requests,
    reset: async () => {
      await control('DELETE', '/faults');
      await control('DELETE', '/requests');
    },
  };
}

/** Milliseconds since `start`, for lower bounds on deliberate delays (never for speed). */
export function since(start: number): number {
  return performance.now() - start;
}
