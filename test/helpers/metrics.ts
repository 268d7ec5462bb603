/**
 * A service's Prometheus `/metrics`, read as a test needs it: each metric's first sample by name
 * (`process_resident_memory_bytes`, `nodejs_eventloop_lag_p99_seconds`, …); the services label
 * every sample with their name, and these process metrics have no other label.
 */
export async function readMetrics(baseUrl: string): Promise<Map<string, number>> {
  const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${baseUrl}/metrics answered ${response.status}`);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)/.exec(line);
    if (match?.[1] && match[2] && !samples.has(match[1])) samples.set(match[1], Number(match[2]));
  }
  return samples;
}

/** Resident memory of the service behind `baseUrl`, in bytes, from its own metrics. */
export async function rssBytes(baseUrl: string): Promise<number> {
  const value = (await readMetrics(baseUrl)).get('process_resident_memory_bytes');
  if (value === undefined) throw new Error(`${baseUrl}/metrics has no process_resident_memory_bytes`);
  return value;
}
