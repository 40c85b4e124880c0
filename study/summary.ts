import { formatUsd } from '../base/cost-model.ts';
import type { LambdaArch, PriceTable } from '../base/price-table.ts';
import { precisionOf, type StudyMeasurement } from './measurement.ts';
import { mean, sampleStd } from './stats.ts';
import { dataLabelGb, executionCostUsd } from './tables.ts';
import { PRECISIONS } from '../base/options.ts';
import { atMemory, memoryKeyOf, memorySwept } from './memory-key.ts';
import { recommendMemory, secs, usd, type Recommendation } from './recommend.ts';

/** A short automatic summary of a study's findings, one sentence per finding, for reports and the study screen. */

const sig = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());

function groupMeans(
  runs: StudyMeasurement[],
  key: (m: StudyMeasurement) => number,
  value: (m: StudyMeasurement) => number,
): Array<{ x: number; y: number }> {
  const g = new Map<number, number[]>();
  for (const r of runs) {
    const v = value(r);
    if (!Number.isFinite(v)) continue;
    if (!g.has(key(r))) g.set(key(r), []);
    g.get(key(r))!.push(v);
  }
  return [...g.entries()].map(([x, ys]) => ({ x, y: mean(ys) })).sort((a, b) => a.x - b.x);
}

const maxBy = <T>(xs: T[], f: (x: T) => number): T => xs.reduce((a, b) => (f(b) > f(a) ? b : a));
const minBy = <T>(xs: T[], f: (x: T) => number): T => xs.reduce((a, b) => (f(b) < f(a) ? b : a));

export interface SummaryOptions {
  lambdaMemoryMb?: number;
  arch?: LambdaArch;
  prices?: PriceTable;
  /** The memory recommendation of these runs when the caller has it already (the report shows the same one). */
  recommendation?: Recommendation;
}

export function summarizeFindings(runs: StudyMeasurement[], opts: SummaryOptions = {}): string[] {
  const out: string[] = [];
  // In a memory sweep each Lambda memory size is its own configuration (study/memory-key.ts).
  const swept = memorySwept(runs);
  const mem = (m: StudyMeasurement) => memoryKeyOf(m, swept);
  const memories = [...new Set(runs.map(mem))].sort((a, b) => (a ?? -1) - (b ?? -1));

  // One sentence per target, precision and memory size: fp32 and int8 runs are never averaged together.
  for (const target of ['local', 'cloud'] as const)
    for (const memory of memories)
      for (const precision of PRECISIONS) {
        const b = runs.filter(
          (r) => r.target === target && precisionOf(r) === precision && r.sweep !== 'data-size' && mem(r) === memory,
        );
        const time = groupMeans(
          b,
          (m) => m.batchSize,
          (m) => m.secondsPerBatch,
        );
        if (time.length < 2) continue;
        const thr = groupMeans(
          b,
          (m) => m.batchSize,
          (m) => m.throughputBps / 1e6,
        );
        const best = maxBy(thr, (p) => p.y);
        const first = time[0];
        const last = time[time.length - 1];
        out.push(
          `${target === 'local' ? 'Local' : 'Cloud'}${atMemory(memory)}${precision === 'int8' ? ' (int8)' : ''}: execution time per batch goes from ${sig(first.y)} s at batch ${first.x} to ${sig(last.y)} s at batch ${last.x}; ` +
            `throughput is highest at batch ${best.x} (${sig(best.y)} Mbps).`,
        );
      }

  // Data-size runs are cloud or recorded runs (a local run has no partitions), so fp32; an int8 one is kept out
  // rather than averaged in.
  for (const memory of memories)
    dataFindings(
      runs.filter((r) => mem(r) === memory),
      atMemory(memory),
      opts,
      out,
    );

  // How much repeats of the same configuration disagree: the largest coefficient of variation of s/batch.
  const groups = new Map<string, number[]>();
  for (const r of runs) {
    if (!Number.isFinite(r.secondsPerBatch)) continue;
    const k = `${r.target}|${precisionOf(r)}|${r.sweep}|${r.batchSize}|${r.partitionMb}|${r.dataLabel}|${mem(r)}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r.secondsPerBatch);
  }
  const cvs = [...groups.values()].filter((v) => v.length >= 2).map((v) => sampleStd(v)! / mean(v));
  if (cvs.length)
    out.push(
      `Repeats of one configuration differ by up to ${Math.round(Math.max(...cvs) * 100)}% in execution time per batch (sample sd ÷ mean).`,
    );
  else if (runs.length) out.push('Each configuration ran once, so there is no spread between repeats to report.');

  if (swept) out.push(...memoryFindings(runs, opts));
  return out;
}

/** One sentence per configuration measured at two or more Lambda memory sizes: the three picks (study/recommend.ts). */
function memoryFindings(runs: StudyMeasurement[], opts: SummaryOptions): string[] {
  const rec =
    opts.recommendation ??
    recommendMemory(runs, {
      ...(opts.prices ? { prices: opts.prices } : {}),
      ...(opts.arch ? { arch: opts.arch } : {}),
    });
  return rec.groups
    .filter((g) => g.sizes.length > 1)
    .map((g) => {
      const { cost, speed, balanced } = g.picks;
      return (
        `Lambda memory${rec.groups.length > 1 ? ` (${g.label})` : ''}: cheapest at ${cost.memoryMb} MB ` +
        `(${usd(cost.costUsd)} per execution), fastest at ${speed.memoryMb} MB (${secs(speed.durationS)} mean rank ` +
        `duration); balanced (w = ${rec.weight}) ${balanced.memoryMb} MB.` +
        (g.setup.emulated ? " Emulated on this computer: the durations are this computer's, not AWS Lambda's." : '')
      );
    });
}

/** The data-size findings of one memory size (or of all runs when memory is not swept); `at` names the size. */
function dataFindings(runs: StudyMeasurement[], at: string, opts: SummaryOptions, out: string[]): void {
  const dataRuns = runs.filter(
    (r) =>
      r.sweep !== 'batch-size' &&
      r.partitionMb !== null &&
      dataLabelGb(r.dataLabel) !== null &&
      precisionOf(r) === 'fp32',
  );
  if (dataRuns.length) {
    const largest = maxBy(dataRuns, (r) => dataLabelGb(r.dataLabel)!).dataLabel!;
    const atLargest = dataRuns.filter((r) => r.dataLabel === largest);
    const byPartition = groupMeans(
      atLargest,
      (m) => m.partitionMb!,
      (m) => m.throughputBps / 1e9,
    );
    if (byPartition.length >= 2) {
      const hi = maxBy(byPartition, (p) => p.y);
      const lo = minBy(byPartition, (p) => p.y);
      const jobs = Math.max(...atLargest.filter((r) => r.partitionMb === hi.x).map((r) => r.ranks));
      out.push(
        `With ${largest} of data${at}, ${hi.x} MB partitions give the highest throughput (${sig(hi.y)} Gbps over ${jobs} ranks) and ${lo.x} MB the lowest (${sig(lo.y)} Gbps).`,
      );
    }
    const partitions = [...new Set(dataRuns.map((r) => r.partitionMb!))];
    const widest = maxBy(
      partitions,
      (p) => new Set(dataRuns.filter((r) => r.partitionMb === p).map((r) => r.dataLabel)).size,
    );
    const scaling = groupMeans(
      dataRuns.filter((r) => r.partitionMb === widest),
      (m) => dataLabelGb(m.dataLabel)!,
      (m) => m.throughputBps / 1e9,
    );
    if (scaling.length >= 2) {
      const a = scaling[0];
      const z = scaling[scaling.length - 1];
      out.push(
        `With ${widest} MB partitions${at}, throughput goes from ${sig(a.y)} Gbps at ${a.x} GB to ${sig(z.y)} Gbps at ${z.x} GB (${sig(z.y / a.y)}×).`,
      );
    }
    const cloudLargest = atLargest.filter((r) => r.target === 'cloud');
    const costs = groupMeans(
      cloudLargest,
      (m) => m.partitionMb!,
      (m) => executionCostUsd(m, opts),
    );
    if (costs.length >= 1) {
      const cheap = minBy(costs, (p) => p.y);
      const dear = maxBy(costs, (p) => p.y);
      out.push(
        costs.length === 1
          ? `One execution over ${largest}${at} with ${cheap.x} MB partitions costs about ${formatUsd(cheap.y)} in Lambda compute and requests.`
          : `One execution over ${largest}${at} costs from ${formatUsd(cheap.y)} (${cheap.x} MB partitions) to ${formatUsd(dear.y)} (${dear.x} MB) in Lambda compute and requests.`,
      );
    }
  }
}
