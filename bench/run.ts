import { parseArgs } from 'node:util';
import { machine, renderReport, scenarioHead, writeReport, figureReport, type ScenarioReport } from './lib/report.js';
import { ScenarioSkipped, type Scenario } from './lib/scenario.js';
import { scenarios } from './scenarios/index.js';

/**
 * `npm run bench [-- --scenario NAME[,NAME…]] [--quick] [--soak-minutes N] [--list]`: runs the chosen scenarios one
 * after another (they would compete for the two cores otherwise), writes
 * bench/results/latest.json and prints the table.
 */

const RESULTS_FILE = new URL('./results/latest.json', import.meta.url);

function parse() {
  const { values, positionals } = parseArgs({
    options: {
      scenario: { type: 'string', multiple: true, short: 's' },
      quick: { type: 'boolean', default: false },
      'soak-minutes': { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  // `--scenario a,b`, `--scenario a --scenario b` and bare names all select.
  const names = [...(values.scenario ?? []), ...positionals].flatMap((n) => n.split(',')).filter(Boolean);
  const soakMinutes = values['soak-minutes'] === undefined ? undefined : Number(values['soak-minutes']);
  if (soakMinutes !== undefined && !(Number.isInteger(soakMinutes) && soakMinutes >= 1)) throw new Error('--soak-minutes takes a whole number of minutes, at least 1');
  return { names, quick: values.quick, soakMinutes, list: values.list, help: values.help };
}

function select(names: readonly string[]): Scenario[] {
  if (names.length === 0) return [...scenarios];
  const unknown = names.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  }
  return scenarios.filter((s) => names.includes(s.name));
}

async function runOne(scenario: Scenario, quick: boolean, soakMinutes: number | undefined): Promise<ScenarioReport> {
  const startedMs = performance.now();
  const progress = (line: string) => process.stderr.write(`  ${scenario.name}: ${line}\n`);
  process.stderr.write(`${scenario.name} …\n`);
  try {
    const measured = await scenario.run({ quick, soakMinutes, progress });
    return {
      ...scenarioHead(scenario),
      status: 'ok',
      durationMs: Math.round(performance.now() - startedMs),
      figures: measured.figures.map(figureReport),
      settings: measured.settings,
      rounds: measured.rounds,
    };
  } catch (error) {
    const skipped = error instanceof ScenarioSkipped;
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`  ${scenario.name}: ${skipped ? 'skipped' : 'failed'}: ${reason}\n`);
    if (!skipped && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    const status = skipped ? 'skipped' : 'failed';
    return { ...scenarioHead(scenario), status, reason, durationMs: Math.round(performance.now() - startedMs), figures: [] };
  }
}

async function main(): Promise<number> {
  const { names, quick, soakMinutes, list, help } = parse();
  if (help || list) {
    if (help) process.stdout.write('npm run bench -- [--scenario NAME[,NAME…]] [--quick] [--soak-minutes N] [--list]\n');
    for (const s of scenarios) process.stdout.write(`  ${s.name.padEnd(16)} ${s.summary}\n`);
    return 0;
  }
  const chosen = select(names);
  const startedAt = new Date();
  const startedMs = performance.now();
  const reports: ScenarioReport[] = [];
  for (const scenario of chosen) reports.push(await runOne(scenario, quick, soakMinutes));
  const report = {
    runAt: startedAt.toISOString(),
    ...machine(),
    quick,
    durationMs: Math.round(performance.now() - startedMs),
    scenarios: reports,
  };
  await writeReport(report, RESULTS_FILE);
  process.stdout.write(`\n${renderReport(report)}\n\nwritten to bench/results/latest.json\n`);
  return reports.some((r) => r.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
