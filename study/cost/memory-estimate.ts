import type { StudyJob } from '../../base/sweep-plan.ts';
import { formatUsd, type LambdaConfig } from '../../base/cost-model.ts';
import { DEFAULT_PRICE_TABLE, type PriceTable } from '../../base/price-table.ts';
import { estimateSweepCost, ranksFor, type SweepCostOptions } from './sweep-estimate.ts';

/**
 * The estimate of a Lambda memory sweep: its cloud jobs grouped by the memory they run at, each group costed at its
 * own memory with the same assumptions as any sweep (study/cost/sweep-estimate.ts), and the total.
 */

export interface MemorySizeEstimate {
  memoryMb: number;
  jobs: number;
  /** Inference Lambdas (ranks) over the group's executions. */
  lambdas: number;
  usd: number;
}

export interface MemorySweepEstimate {
  sizes: MemorySizeEstimate[];
  totalUsd: number;
  /** "This memory sweep runs 9 cloud jobs at 3 memory sizes (1024, 2048, 3008 MB): about $0.02 in all." */
  sentence: string;
  /** What the estimate assumed. */
  notes: string[];
  priceAsOf: string;
  priceSource: string;
}

/** Null when no cloud job sets the memory. */
export function memorySweepEstimate(
  jobs: StudyJob[],
  opts: { arch: LambdaConfig['arch']; prices?: PriceTable } & Omit<SweepCostOptions, 'lambda' | 'prices'>,
): MemorySweepEstimate | null {
  const prices = opts.prices ?? DEFAULT_PRICE_TABLE;
  const sized = jobs.filter((j) => j.target === 'cloud' && j.lambdaMemoryMb !== null);
  if (sized.length === 0) return null;
  const groups = new Map<number, StudyJob[]>();
  for (const j of sized) groups.set(j.lambdaMemoryMb!, [...(groups.get(j.lambdaMemoryMb!) ?? []), j]);
  const sizes: MemorySizeEstimate[] = [];
  let notes: string[] = [];
  for (const [memoryMb, group] of groups) {
    const est = estimateSweepCost(group, { ...opts, lambda: { memoryMb, arch: opts.arch }, prices })!;
    notes = est.notes;
    sizes.push({
      memoryMb,
      jobs: group.length,
      lambdas: group.reduce((n, j) => n + ranksFor(j, opts.allDataGb), 0),
      usd: est.totalUsd,
    });
  }
  const totalUsd = sizes.reduce((a, s) => a + s.usd, 0);
  const list = sizes.map((s) => s.memoryMb).join(', ');
  return {
    sizes,
    totalUsd,
    sentence:
      `This memory sweep runs ${sized.length} cloud job(s) at ${sizes.length} memory size(s) (${list} MB): ` +
      `about ${formatUsd(totalUsd)} in all.`,
    notes: [
      'Each size is costed at its own memory (GB-s = duration × memory) with the same duration per rank: the estimate ' +
        'does not guess how much faster a larger function runs (Lambda gives CPU in proportion to memory), which is ' +
        'what the sweep measures. Larger sizes may cost less than shown.',
      "The function's memory is set before each size's jobs and restored to its original when the sweep ends; " +
        'setting it costs nothing.',
      ...notes,
    ],
    priceAsOf: prices.asOf,
    priceSource: prices.source,
  };
}
