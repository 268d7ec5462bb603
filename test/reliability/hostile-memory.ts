import { Inspector, type SettledMemory } from '../helpers/inspector.js';

export { inspectorUrlIn as inspectorUrl } from '../helpers/inspector.js';
export type MemoryAfterGc = SettledMemory;

/**
 * A service's memory right after full garbage collections, read through its inspector: what is
 * left is what it really holds, not garbage the collector has not got round to yet.
 */
export async function memoryAfterGc(inspectorUrl: string, timeoutMs = 10_000): Promise<MemoryAfterGc> {
  let inspector: Inspector | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      (async () => {
        inspector = await Inspector.connect(inspectorUrl);
        return inspector.settledMemory();
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the inspector at ${inspectorUrl} did not answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    inspector?.close();
  }
}
