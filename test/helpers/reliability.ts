import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Figures a reliability test measured, kept for `npm run report:reliability`, which writes
 * docs/reliability.md from them: the report is made from what the last run saw, never typed by hand.
 */
export interface ReliabilityRecord {
  /** Stable id, also the file name: `faults/nats-outage`, `hostile/corpus`, … */
  readonly id: string;
  /** Which part of the report it belongs to. */
  readonly section: 'faults' | 'hostile' | 'access' | 'secrets';
  /** One line saying what was done to the system. */
  readonly title: string;
  /** What was measured, each with its unit in the key (`reconnectMsMax`, `inputsTried`). */
  readonly figures: Record<string, number | string | boolean>;
  /** Whether every assertion of the test held. */
  readonly passed: boolean;
}

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-results', 'reliability');

export function reliabilityResultsDir(): string {
  return RESULTS_DIR;
}

/** Writes one test's figures (with the time of the run) where the report script reads them. */
export async function recordReliability(record: ReliabilityRecord): Promise<void> {
  const file = join(RESULTS_DIR, `${record.id.replaceAll('/', '--')}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ ...record, recordedAt: new Date().toISOString() }, null, 2)}\n`);
}
