/**
 * `npm run report:reliability`: writes docs/reliability.md from the figures the reliability tests
 * recorded in their last run (test-results/reliability/*.json, see test/helpers/reliability.ts).
 * Every test that records figures is listed; one whose figures are missing says "not run".
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createParser } from '@voxgate/protocol';
import { reliabilityResultsDir, StoredReliabilityRecord } from '../test/helpers/reliability.js';
import { REPO_ROOT } from './lib/stack.js';

const SECTIONS = {
  faults: 'Faults survived',
  hostile: 'Hostile input refused',
  access: 'Access, limits and headers enforced',
  secrets: 'Keys kept secret',
} as const;
type Section = keyof typeof SECTIONS;

/** Where tests live; each `recordReliability({ id: '…' })` in them is a test the report expects. */
const TEST_DIRS = ['test', 'services'];
const DECLARED_ID = /recordReliability\(\s*\{\s*id:\s*'((faults|hostile|access|secrets)\/[A-Za-z0-9._-]+)'/g;
const REPORT = join(REPO_ROOT, 'docs', 'reliability.md');
const parseRecord = createParser(StoredReliabilityRecord);

/** Test files under `dir`, skipping dependencies and build output. */
async function testFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => !/[/\\](node_modules|dist)[/\\]/.test(file));
}

/** The ids the test sources declare, with the file that records each. */
async function declaredIds(): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const dir of TEST_DIRS) {
    for (const file of await testFiles(join(REPO_ROOT, dir))) {
      for (const match of (await readFile(file, 'utf8')).matchAll(DECLARED_ID)) {
        if (match[1]) ids.set(match[1], relative(REPO_ROOT, file));
      }
    }
  }
  return ids;
}

/** The last run's records; a file that does not parse is reported, not silently dropped. */
async function records(): Promise<{ found: Map<string, StoredReliabilityRecord>; unreadable: string[] }> {
  const found = new Map<string, StoredReliabilityRecord>();
  const unreadable: string[] = [];
  const dir = reliabilityResultsDir();
  const names = (await readdir(dir).catch(() => [])).filter((n) => n.endsWith('.json')).sort();
  for (const name of names) {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(join(dir, name), 'utf8'));
    } catch {
      unreadable.push(`${name}: not JSON`);
      continue;
    }
    const parsed = parseRecord.parse(value);
    if (parsed.ok) found.set(parsed.value.id, parsed.value);
    else unreadable.push(`${name}: ${parsed.error}`);
  }
  return { found, unreadable };
}

const cell = (value: string | number | boolean) => String(value).replaceAll('|', '\\|').replaceAll('\n', ' ');
const day = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');

function renderRecord(record: StoredReliabilityRecord, file: string | undefined): string[] {
  const lines = [
    `### \`${record.id}\` — ${record.passed ? 'passed' : '**FAILED**'}`,
    '',
    `${record.title}`,
    '',
    `Run ${day(record.recordedAt)}${file ? ` by \`${file}\`` : ' (no test declares this id any more)'}.`,
    '',
    '| figure | value |',
    '|---|---|',
  ];
  for (const [key, value] of Object.entries(record.figures)) lines.push(`| \`${cell(key)}\` | ${cell(value)} |`);
  lines.push('');
  return lines;
}

async function main(): Promise<void> {
  const declared = await declaredIds();
  const { found, unreadable } = await records();
  const ids = [...new Set([...declared.keys(), ...found.keys()])].sort();
  const dates = [...found.values()].map((r) => r.recordedAt).sort();
  const lines = [
    '# Reliability report',
    '',
    '<!-- Written by `npm run report:reliability` from test-results/reliability/*.json; do not edit by hand. -->',
    '',
    `Figures from the last run of each reliability test (${dates.length > 0 ? `${day(dates[0] ?? '')} to ${day(dates.at(-1) ?? '')}` : 'no run recorded'}).`,
    `${found.size} of ${ids.length} tests have figures; ${[...found.values()].filter((r) => r.passed).length} passed. Run the tests (\`npm test\`), then \`npm run report:reliability\`, to bring it up to date.`,
    '',
  ];
  for (const [section, heading] of Object.entries(SECTIONS) as [Section, string][]) {
    const inSection = ids.filter((id) => id.startsWith(`${section}/`));
    lines.push(`## ${heading}`, '');
    if (inSection.length === 0) lines.push('No test records figures for this part yet.', '');
    for (const id of inSection) {
      const record = found.get(id);
      if (record) lines.push(...renderRecord(record, declared.get(id)));
      else lines.push(`### \`${id}\` — not run`, '', `\`${declared.get(id)}\` records this, but no figures from a run were found.`, '');
    }
  }
  if (unreadable.length > 0) lines.push('## Unreadable results', '', ...unreadable.map((u) => `- ${u}`), '');
  await writeFile(REPORT, lines.join('\n'));
  process.stdout.write(`wrote ${relative(REPO_ROOT, REPORT)}: ${found.size} of ${ids.length} tests with figures\n`);
}

await main();
