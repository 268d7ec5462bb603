import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { describeGoal, goalMet, goalValue, type Figure, type Goal, type Scenario } from './scenario.js';
import { ratio } from './stats.js';
import { formatNumber, formatRatio, formatTable } from './table.js';

/** What `bench/results/latest.json` holds: enough to compare two runs, and the machine they ran on. */

export interface FigureReport {
  readonly metric: string;
  readonly unit: string;
  readonly better: Figure['better'];
  readonly baseline: number;
  readonly ours: number;
  /** ours / baseline, for latency and throughput alike. */
  readonly ratio: number;
  readonly goal?: Goal & { readonly met: boolean; readonly text: string };
}

export interface ScenarioReport {
  readonly name: string;
  readonly summary: string;
  readonly baseline: string;
  readonly ours: string;
  readonly status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  readonly reason?: string;
  readonly durationMs: number;
  readonly figures: FigureReport[];
  readonly settings?: Record<string, unknown>;
  readonly rounds?: unknown;
}

export interface BenchReport {
  readonly runAt: string;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuCount: number;
  readonly cpuModel: string;
  readonly quick: boolean;
  readonly durationMs: number;
  readonly scenarios: ScenarioReport[];
}

/** Six significant digits: more than any run here can resolve, and readable in a diff. */
function tidy(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(6)) : value;
}

export function figureReport(figure: Figure): FigureReport {
  const r = tidy(ratio(figure.ours, figure.baseline));
  const { goal, ...fields } = figure;
  const rest = { ...fields, baseline: tidy(figure.baseline), ours: tidy(figure.ours) };
  if (!goal) return { ...rest, ratio: r };
  const value = goalValue(goal, figure, r);
  // An added amount is not in the table's columns, so its goal text says what it came to.
  const text = goal.of === 'added' ? `${describeGoal(goal, figure.unit)} (is ${formatNumber(value)})` : describeGoal(goal, figure.unit);
  return { ...rest, ratio: r, goal: { ...goal, met: goalMet(goal, value), text } };
}

export function machine(): Pick<BenchReport, 'node' | 'platform' | 'arch' | 'cpuCount' | 'cpuModel'> {
  const all = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpuCount: all.length,
    cpuModel: all[0]?.model.trim() ?? 'unknown',
  };
}

export function scenarioHead(scenario: Scenario) {
  return { name: scenario.name, summary: scenario.summary, baseline: scenario.baseline, ours: scenario.ours };
}

export async function writeReport(report: BenchReport, file: URL): Promise<void> {
  await mkdir(new URL('.', file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}

export function renderReport(report: BenchReport): string {
  const rows = report.scenarios.flatMap((s) => {
    if (s.status !== 'ok') return [[s.name, s.status, '', '', '', s.reason ?? '']];
    return s.figures.map((f) => [
      s.name,
      `${f.metric} (${f.unit})`,
      formatNumber(f.baseline),
      formatNumber(f.ours),
      formatRatio(f.ratio),
      f.goal ? `${f.goal.text}: ${f.goal.met ? 'met' : 'NOT met'}` : '',
    ]);
  });
  const table = formatTable(
    [
      { title: 'scenario', align: 'left' },
      { title: 'metric', align: 'left' },
      { title: 'baseline', align: 'right' },
      { title: 'ours', align: 'right' },
      { title: 'ours/base', align: 'right' },
      { title: 'goal', align: 'left' },
    ],
    rows,
  );
  const head = `${report.runAt}  node ${report.node}  ${report.cpuCount} × ${report.cpuModel}${report.quick ? '  (quick run)' : ''}`;
  const legend = report.scenarios.map((s) => `  ${s.name}: baseline = ${s.baseline}; ours = ${s.ours}`);
  return [head, '', table, '', ...legend].join('\n');
}
