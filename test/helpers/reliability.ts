import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from 'typebox';

/**
 * Figures a reliability test measured, kept for `npm run report:reliability`, which writes
 * docs/reliability.md from them: the report is made from what the last run saw, never typed by hand.
 */
export const ReliabilityRecord = Type.Object({
  /** Stable id, also the file name: `faults/nats-outage`, `hostile/corpus`, … */
  id: Type.String({ pattern: '^(faults|hostile|access|secrets)/[A-Za-z0-9._-]+$' }),
  /** Which part of the report it belongs to. */
  section: Type.Union([Type.Literal('faults'), Type.Literal('hostile'), Type.Literal('access'), Type.Literal('secrets')]),
  /** One line saying what was done to the system. */
  title: Type.String({ minLength: 1 }),
  /** What was measured, each with its unit in the key (`reconnectMsMax`, `inputsTried`). */
  figures: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()])),
  /** Whether every assertion of the test held. */
  passed: Type.Boolean(),
});
export type ReliabilityRecord = Static<typeof ReliabilityRecord>;

/** A record as written to disk: with the time of the run. */
export const StoredReliabilityRecord = Type.Object({ ...ReliabilityRecord.properties, recordedAt: Type.String({ minLength: 1 }) });
export type StoredReliabilityRecord = Static<typeof StoredReliabilityRecord>;

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-results', 'reliability');

export function reliabilityResultsDir(): string {
  return RESULTS_DIR;
}

/** Writes one test's figures (with the time of the run) where the report script reads them. */
export async function recordReliability(record: ReliabilityRecord): Promise<void> {
  const file = join(RESULTS_DIR, `${record.id.replaceAll('/', '--')}.json`);
  await mkdir(dirname(file), { recursive: true });
  const stored: StoredReliabilityRecord = { ...record, recordedAt: new Date().toISOString() };
  await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`);
}
