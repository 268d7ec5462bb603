/**
 * What a benchmark scenario is and what it reports. Every scenario measures a baseline and ours in
 * the same run, so the ratio between them says more than either absolute figure on a shared machine.
 */

export interface RunContext {
  /** A short run: fewer rounds and shorter loads, for a smoke check rather than numbers to keep. */
  readonly quick: boolean;
  /** `--soak-minutes`: how long the soak scenario holds its load (its own default when absent). */
  readonly soakMinutes?: number | undefined;
  /** One line of progress on stderr, so a long run shows it is alive. */
  progress(line: string): void;
}

/** A bound a figure should meet; printed as met or not, never asserted. */
export interface Goal {
  /**
   * `ratio` bounds ours/baseline; `ours` bounds our absolute figure; `added` bounds ours − baseline
   * (what our path adds to the baseline's, e.g. milliseconds of latency).
   */
  readonly of: 'ratio' | 'ours' | 'added';
  readonly atLeast?: number;
  readonly atMost?: number;
  /** Where the bound comes from, e.g. a section of the performance reference. */
  readonly source: string;
}

/** One figure measured for both sides. */
export interface Figure {
  readonly metric: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly baseline: number;
  readonly ours: number;
  readonly goal?: Goal;
}

export interface Measured {
  readonly figures: Figure[];
  /** The load settings used (connections, durations, …), recorded beside the figures. */
  readonly settings: Record<string, unknown>;
  /** Per-round figures, for judging the spread. */
  readonly rounds?: unknown;
}

export interface Scenario {
  /** What `--scenario` selects; kebab-case. */
  readonly name: string;
  readonly summary: string;
  /** What the baseline is, in a few words. */
  readonly baseline: string;
  /** What ours is, in a few words. */
  readonly ours: string;
  run(context: RunContext): Promise<Measured>;
}

/** Thrown when a prerequisite (a binary, a build) is missing: the run goes on without this scenario. */
export class ScenarioSkipped extends Error {
  override readonly name = 'ScenarioSkipped';
}

/**
 * The two sides in the order to measure them in a round: alternating from round to round, so that
 * drift on a shared machine (another job starting, thermal throttling) does not favour one side.
 */
export function alternating<T>(round: number, pair: readonly [baseline: T, ours: T]): [T, T] {
  return round % 2 === 0 ? [pair[0], pair[1]] : [pair[1], pair[0]];
}

/** The value a goal bounds. */
export function goalValue(goal: Goal, figure: { ours: number; baseline: number }, ratio: number): number {
  if (goal.of === 'ratio') return ratio;
  return goal.of === 'added' ? figure.ours - figure.baseline : figure.ours;
}

export function goalMet(goal: Goal, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  return (goal.atLeast === undefined || value >= goal.atLeast) && (goal.atMost === undefined || value <= goal.atMost);
}

export function describeGoal(goal: Goal, unit: string): string {
  const subject = goal.of === 'ratio' ? 'ratio' : goal.of === 'added' ? 'added' : 'ours';
  const suffix = goal.of === 'ratio' ? '' : ` ${unit}`;
  const bounds = [
    goal.atLeast === undefined ? undefined : `≥ ${goal.atLeast}${suffix}`,
    goal.atMost === undefined ? undefined : `≤ ${goal.atMost}${suffix}`,
  ].filter((b) => b !== undefined);
  return `${subject} ${bounds.join(' and ')}`;
}
