import type { LambdaArch, PriceTable } from '../base/price-table.ts';
import { precisionOf, type StudyMeasurement } from './measurement.ts';
import { meanStd } from './stats.ts';
import { executionCostUsd } from './tables.ts';

/**
 * The Lambda memory recommendation, modelled on AWS Lambda Power Tuning's analyzer: for each memory size the mean
 * cost of one execution and the mean duration, then the cheapest, the fastest and a balanced pick.
 *
 * - Cost ($ per execution) = study/tables.ts `executionCostUsd`: Σ rank durations × memory GB at the tier prices
 *   + one request per rank, averaged over the repeats (sample sd, n − 1, with ≥ 2 repeats).
 * - Duration (s) = the mean rank duration: a run's Σ rank durations ÷ its ranks (the REPORT lines' billed duration,
 *   else the ranks' CPU time), averaged over the repeats. It is what the memory setting changes and what is billed.
 * - Execution wall time (s) = the Step Functions execution's start to stop (Initialize, the Map with its queueing
 *   and stragglers, Summarize), shown beside it and never used for a pick.
 * - Balanced: minimise w × cost ÷ max cost + (1 − w) × duration ÷ max duration over the sizes (Power Tuning's
 *   formula; w = 1 is the cheapest, w = 0 the fastest; default 0.5).
 * - Ties (equal to 1e-9 relative): cheapest → the faster, fastest → the cheaper, balanced → the cheaper, then the
 *   faster; then the smaller memory. A tie is said in the pick.
 *
 * Runs are grouped by everything that must be alike (target, batch size, precision, ranks, partition size, data
 * label, engine, model, emulated or AWS, where durations came from): one recommendation per group, never a mix.
 */

export type Strategy = 'cost' | 'speed' | 'balanced';
export const STRATEGIES: readonly Strategy[] = ['cost', 'speed', 'balanced'];
export const DEFAULT_BALANCED_WEIGHT = 0.5;
const TIE = 1e-9;

/** Bad input to the recommendation (a weight outside [0, 1], an unknown strategy). */
export class RecommendInputError extends Error {
  readonly code = 'INVALID_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'RecommendInputError';
  }
}

export interface RecommendOptions {
  /** Balanced weight w in [0, 1]: 1 = cost only, 0 = duration only. Default 0.5. */
  weight?: number;
  /** Which pick is "the" recommendation. Default balanced. */
  strategy?: Strategy;
  arch?: LambdaArch;
  prices?: PriceTable;
}

export interface MemorySizeStats {
  memoryMb: number;
  repeats: number;
  /** Mean cost of one execution, USD; sd null with one repeat. */
  costUsd: number;
  costSdUsd: number | null;
  /** Mean rank duration, s. */
  durationS: number;
  durationSdS: number | null;
  /** Mean execution wall time, s, over the repeats that recorded it; null when none did. */
  executionS: number | null;
  executionSdS: number | null;
  executionRepeats: number;
  /** w × cost ÷ max cost + (1 − w) × duration ÷ max duration (lower is better). */
  balancedScore: number;
  /** The memory came from the profile (assumed), not from this run's REPORT lines, for at least one repeat. */
  memoryAssumed: boolean;
  runIds: string[];
}

export interface Versus {
  memoryMb: number;
  /** (pick − other) ÷ other × 100: negative = the pick is cheaper / faster; null when the other is 0. */
  costPct: number | null;
  durationPct: number | null;
}

export interface Pick {
  strategy: Strategy;
  memoryMb: number;
  costUsd: number;
  durationS: number;
  executionS: number | null;
  balancedScore: number;
  versus: Versus[];
  /** Other sizes equal to this one on what the strategy minimises; empty when none. */
  tiedWith: number[];
  /** One sentence with the numbers behind the pick. */
  sentence: string;
}

export interface RecommendationGroup {
  /** "1GB · 25 MB partitions · batch 512 · 41 ranks · fp32". */
  label: string;
  setup: {
    batchSize: number;
    precision: string;
    ranks: number;
    partitionMb: number | null;
    dataLabel: string | null;
    engine: string | null;
    model: string | null;
    emulated: boolean;
    durationSource: 'billed' | 'cpu-time';
  };
  sizes: MemorySizeStats[];
  picks: Record<Strategy, Pick>;
  recommended: Pick;
  notes: string[];
}

export interface Recommendation {
  strategy: Strategy;
  weight: number;
  groups: RecommendationGroup[];
  /** Runs left out, with the reason. */
  excluded: Array<{ id: string; reason: string }>;
  /** Definitions and formulas, and why the runs form several groups. */
  notes: string[];
}

export const DEFINITION_NOTES = [
  "Cost = one execution's inference Lambdas: Σ rank durations × memory GB (MB ÷ 1024) at the tier prices + one " +
    'request per rank; mean over repeats, ± sample sd (n − 1).',
  "Duration = mean rank duration: a run's Σ rank durations (billed, from REPORT lines) ÷ its ranks, mean over " +
    'repeats. Execution wall time = the Step Functions execution from start to stop; shown, not used for picks.',
  'Cheapest = lowest cost (ties: the faster). Fastest = lowest duration (ties: the cheaper). Balanced = lowest ' +
    'w × cost ÷ max cost + (1 − w) × duration ÷ max duration over the sizes (AWS Lambda Power Tuning; w = 1 is the ' +
    'cheapest, w = 0 the fastest; ties: the cheaper, then the faster). Remaining ties: the smaller memory.',
  'vs X MB: (pick − X) ÷ X, in %.',
];

export function checkWeight(weight: number): number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 1)
    throw new RecommendInputError(
      `the balanced weight must be a number from 0 (fastest) to 1 (cheapest), got ${String(weight)}`,
    );
  return weight;
}

export function checkStrategy(s: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(s))
    throw new RecommendInputError(`unknown strategy "${s}": use cost, speed or balanced`);
  return s as Strategy;
}

const tied = (a: number, b: number): boolean => Math.abs(a - b) <= TIE * Math.max(Math.abs(a), Math.abs(b));
/** -1, 0 (tied) or 1. */
const cmp = (a: number, b: number): number => (tied(a, b) ? 0 : a < b ? -1 : 1);

function excludedReason(m: StudyMeasurement): string | null {
  if (m.target !== 'cloud') return 'a local run has no Lambda memory to tune';
  if (m.lambdaMemoryMb === undefined || !(m.lambdaMemoryMb > 0))
    return 'its Lambda memory is not recorded (no REPORT lines, no profile)';
  if (!(m.ranks > 0) || !Number.isFinite(m.rankSecondsTotal) || m.rankSecondsTotal < 0)
    return 'it has no rank durations';
  return null;
}

type Setup = RecommendationGroup['setup'];

function setupOf(m: StudyMeasurement): Setup {
  return {
    batchSize: m.batchSize,
    precision: precisionOf(m),
    ranks: m.ranks,
    partitionMb: m.partitionMb,
    dataLabel: m.dataLabel,
    engine: m.engine ?? null,
    model: m.model ?? null,
    emulated: !!m.emulated,
    durationSource: m.rankSecondsSource,
  };
}

function setupLabel(s: Setup): string {
  return [
    s.dataLabel ?? 'data not labelled',
    s.partitionMb !== null ? `${s.partitionMb} MB partitions` : null,
    `batch ${s.batchSize}`,
    `${s.ranks} rank${s.ranks === 1 ? '' : 's'}`,
    s.precision,
    s.engine,
    s.model,
    s.emulated ? 'emulated' : null,
    s.durationSource === 'cpu-time' ? 'durations from CPU time' : null,
  ]
    .filter((x): x is string => !!x)
    .join(' · ');
}

const SPLIT_WHY: Array<[keyof Setup, string]> = [
  ['batchSize', 'batch sizes'],
  ['precision', 'precisions'],
  ['ranks', 'rank counts'],
  ['partitionMb', 'partition sizes'],
  ['dataLabel', 'data labels'],
  ['engine', 'engines'],
  ['model', 'models'],
  ['emulated', 'emulated and AWS runs'],
  ['durationSource', 'duration sources (billed and CPU time)'],
];

function sizeStats(memoryMb: number, runs: StudyMeasurement[], opts: RecommendOptions): MemorySizeStats {
  const cost = meanStd(runs.map((m) => executionCostUsd(m, { arch: opts.arch, prices: opts.prices })));
  const dur = meanStd(runs.map((m) => m.rankSecondsTotal / m.ranks));
  const wall = runs.map((m) => m.executionSeconds).filter((x): x is number => x !== undefined && Number.isFinite(x));
  const ex = wall.length > 0 ? meanStd(wall) : null;
  return {
    memoryMb,
    repeats: runs.length,
    costUsd: cost.mean,
    costSdUsd: cost.std,
    durationS: dur.mean,
    durationSdS: dur.std,
    executionS: ex?.mean ?? null,
    executionSdS: ex?.std ?? null,
    executionRepeats: wall.length,
    balancedScore: Number.NaN,
    // 'configured': the sweep set this size itself, so it is known, not assumed.
    memoryAssumed: runs.some((m) => m.lambdaMemorySource !== 'report' && m.lambdaMemorySource !== 'configured'),
    runIds: runs.map((m) => m.id),
  };
}

const pct = (x: number, y: number): number | null => (y === 0 ? (x === 0 ? 0 : null) : ((x - y) / y) * 100);

function phrase(p: number | null, less: string, more: string): string {
  if (p === null) return `${more} (the other measured 0)`;
  const r = Math.round(Math.abs(p));
  if (r === 0) return `about the same ${less === 'cheaper' ? 'cost' : 'duration'}`;
  return `${r}% ${p < 0 ? less : more}`;
}

export const usd = (x: number): string => `$${x < 0.01 ? x.toPrecision(3) : x.toFixed(4)}`;
export const secs = (x: number): string => `${Number(x.toPrecision(4))} s`;

const STRATEGY_NAME: Record<Strategy, string> = { cost: 'Cheapest', speed: 'Fastest', balanced: 'Balanced' };

function makePick(strategy: Strategy, best: MemorySizeStats, sizes: MemorySizeStats[], weight: number): Pick {
  const others = sizes.filter((s) => s !== best);
  const metric = (s: MemorySizeStats) =>
    strategy === 'cost' ? s.costUsd : strategy === 'speed' ? s.durationS : s.balancedScore;
  const tiedWith = others.filter((s) => tied(metric(s), metric(best))).map((s) => s.memoryMb);
  const versus = others.map((o) => ({
    memoryMb: o.memoryMb,
    costPct: pct(best.costUsd, o.costUsd),
    durationPct: pct(best.durationS, o.durationS),
  }));
  const head =
    `${STRATEGY_NAME[strategy]}${strategy === 'balanced' ? ` (w = ${weight})` : ''}: ${best.memoryMb} MB, ` +
    `${usd(best.costUsd)} per execution, mean rank duration ${secs(best.durationS)}` +
    (strategy === 'balanced' ? `, score ${best.balancedScore.toFixed(3)}` : '');
  const vs = versus.map(
    (v) =>
      `vs ${v.memoryMb} MB: ${phrase(v.costPct, 'cheaper', 'more expensive')}, ${phrase(v.durationPct, 'faster', 'slower')}`,
  );
  const on = strategy === 'cost' ? 'cost' : strategy === 'speed' ? 'duration' : 'score';
  const tie =
    tiedWith.length === 0
      ? ''
      : ` Tied on ${on} with ${tiedWith.map((m) => `${m} MB`).join(', ')}; ` +
        (strategy === 'cost'
          ? 'the faster is picked, then the smaller memory.'
          : strategy === 'speed'
            ? 'the cheaper is picked, then the smaller memory.'
            : 'the cheaper is picked, then the faster, then the smaller memory.');
  const single = others.length === 0 ? ' Only this memory size was measured, so there is nothing to choose from.' : '';
  return {
    strategy,
    memoryMb: best.memoryMb,
    costUsd: best.costUsd,
    durationS: best.durationS,
    executionS: best.executionS,
    balancedScore: best.balancedScore,
    versus,
    tiedWith,
    sentence: `${head}${vs.length ? `; ${vs.join('; ')}` : ''}.${tie}${single}`,
  };
}

function choose(sizes: MemorySizeStats[], order: Array<(s: MemorySizeStats) => number>): MemorySizeStats {
  return [...sizes].sort((a, b) => {
    for (const f of order) {
      const c = cmp(f(a), f(b));
      if (c !== 0) return c;
    }
    return a.memoryMb - b.memoryMb;
  })[0];
}

function recommendGroup(
  setup: Setup,
  runs: StudyMeasurement[],
  weight: number,
  strategy: Strategy,
  opts: RecommendOptions,
): RecommendationGroup {
  const byMemory = new Map<number, StudyMeasurement[]>();
  for (const m of runs) {
    const k = m.lambdaMemoryMb!;
    if (!byMemory.has(k)) byMemory.set(k, []);
    byMemory.get(k)!.push(m);
  }
  const sizes = [...byMemory.entries()].sort((a, b) => a[0] - b[0]).map(([mb, rs]) => sizeStats(mb, rs, opts));
  const maxCost = Math.max(...sizes.map((s) => s.costUsd));
  const maxDur = Math.max(...sizes.map((s) => s.durationS));
  for (const s of sizes)
    s.balancedScore =
      (maxCost > 0 ? (weight * s.costUsd) / maxCost : 0) + (maxDur > 0 ? ((1 - weight) * s.durationS) / maxDur : 0);
  const cost = (s: MemorySizeStats) => s.costUsd;
  const dur = (s: MemorySizeStats) => s.durationS;
  const score = (s: MemorySizeStats) => s.balancedScore;
  const picks: Record<Strategy, Pick> = {
    cost: makePick('cost', choose(sizes, [cost, dur]), sizes, weight),
    speed: makePick('speed', choose(sizes, [dur, cost]), sizes, weight),
    balanced: makePick('balanced', choose(sizes, [score, cost, dur]), sizes, weight),
  };
  const notes: string[] = [];
  if (sizes.length === 1)
    notes.push(
      `Only one memory size (${sizes[0].memoryMb} MB) was measured: it is every pick by default. ` +
        'Run the same job at two or more memory sizes to get a recommendation.',
    );
  const assumed = sizes.filter((s) => s.memoryAssumed).map((s) => `${s.memoryMb} MB`);
  if (assumed.length)
    notes.push(
      `Memory for ${assumed.join(', ')} is the profile's setting (assumed): those runs' REPORT lines were not found.`,
    );
  const few = sizes.filter((s) => s.repeats < 2).map((s) => `${s.memoryMb} MB`);
  if (few.length && sizes.length > 1) notes.push(`One repeat only (no sd) at ${few.join(', ')}.`);
  if (setup.emulated)
    notes.push("Emulated on this computer: the durations and costs are this computer's, not AWS Lambda's.");
  if (setup.durationSource === 'cpu-time')
    notes.push("No REPORT lines: durations are the ranks' CPU time, not billed duration.");
  return { label: setupLabel(setup), setup, sizes, picks, recommended: picks[strategy], notes };
}

/** The recommendation over the cloud runs among `runs`: one group per like-with-like configuration. */
export function recommendMemory(runs: StudyMeasurement[], opts: RecommendOptions = {}): Recommendation {
  const weight = checkWeight(opts.weight ?? DEFAULT_BALANCED_WEIGHT);
  const strategy = checkStrategy(opts.strategy ?? 'balanced');
  const excluded: Array<{ id: string; reason: string }> = [];
  const groups = new Map<string, { setup: Setup; runs: StudyMeasurement[] }>();
  for (const m of runs) {
    const why = excludedReason(m);
    if (why) {
      excluded.push({ id: m.id, reason: why });
      continue;
    }
    const setup = setupOf(m);
    const key = JSON.stringify(setup);
    if (!groups.has(key)) groups.set(key, { setup, runs: [] });
    groups.get(key)!.runs.push(m);
  }
  const list = [...groups.values()].sort(
    (a, b) =>
      String(a.setup.dataLabel).localeCompare(String(b.setup.dataLabel)) ||
      (a.setup.partitionMb ?? 0) - (b.setup.partitionMb ?? 0) ||
      a.setup.batchSize - b.setup.batchSize ||
      a.setup.ranks - b.setup.ranks ||
      a.setup.precision.localeCompare(b.setup.precision) ||
      Number(a.setup.emulated) - Number(b.setup.emulated) ||
      a.setup.durationSource.localeCompare(b.setup.durationSource),
  );
  const notes = [...DEFINITION_NOTES];
  if (list.length > 1) {
    const why = SPLIT_WHY.filter(([k]) => new Set(list.map((g) => String(g.setup[k]))).size > 1).map(
      ([k, name]) => `${name} differ (${[...new Set(list.map((g) => String(g.setup[k])))].join(', ')})`,
    );
    notes.push(`The runs form ${list.length} groups, each recommended on its own, never mixed: ${why.join('; ')}.`);
  }
  return {
    strategy,
    weight,
    groups: list.map((g) => recommendGroup(g.setup, g.runs, weight, strategy, opts)),
    excluded,
    notes,
  };
}
