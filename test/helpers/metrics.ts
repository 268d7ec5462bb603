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

/**
 * How far each service's RSS rose above what it was at the call, at its highest while sampled
 * every `intervalMs` for `durationMs`: name → growth in bytes.
 */
export async function rssGrowthBytes(urls: Readonly<Record<string, string>>, durationMs: number, intervalMs = 250): Promise<Record<string, number>> {
  const names = Object.keys(urls);
  const read = () => Promise.all(names.map((name) => rssBytes(urls[name] ?? '')));
  const before = await read();
  const peak = [...before];
  for (let waited = 0; waited < durationMs; waited += intervalMs) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    (await read()).forEach((bytes, i) => {
      peak[i] = Math.max(peak[i] ?? 0, bytes);
    });
  }
  return Object.fromEntries(names.map((name, i) => [name, (peak[i] ?? 0) - (before[i] ?? 0)]));
}
