import { expandSweep, type SweepParamsInput } from '../../../../base/sweep-plan.ts';
import { loadPriceTable } from '../../../../study/cost/price-store.ts';
import { estimateSweepCost } from '../../../../study/cost/sweep-estimate.ts';
import { memorySweepEstimate } from '../../../../study/cost/memory-estimate.ts';
import type { CostEstimateView } from '../../../common/contract/index.ts';
import { fail, type CostSettings } from './shared.ts';

/** The job counts and cloud cost of a sweep before it is queued, at the saved prices. */
export async function estimateSweep(
  dataDir: string,
  params: SweepParamsInput,
  cost: CostSettings = {},
): Promise<CostEstimateView> {
  let jobs;
  try {
    jobs = expandSweep(params);
  } catch (err) {
    throw fail('INVALID_INPUT', err, 'Check the sweep parameters: whole positive numbers, no duplicates.');
  }
  const { table: prices } = await loadPriceTable(dataDir);
  const est = estimateSweepCost(jobs, {
    lambda: { memoryMb: cost.lambdaMemoryMb ?? 10_240, arch: cost.arch ?? 'x86_64' },
    prices,
  });
  const local = jobs.filter((j) => j.target === 'local').length;
  // A memory sweep is priced at each of its sizes; the single-memory setting does not apply to it.
  const mem = memorySweepEstimate(jobs, { arch: cost.arch ?? 'x86_64', prices });
  if (mem)
    return {
      jobs: jobs.length,
      localJobs: local,
      cloudJobs: jobs.length - local,
      sentence: mem.sentence,
      lines: mem.sizes.map((s) => ({
        item: `Lambda memory ${s.memoryMb} MB: ${s.jobs} job(s)`,
        quantity: `${s.lambdas.toLocaleString('en-US')} Lambdas`,
        usd: s.usd,
      })),
      totalUsd: mem.totalUsd,
      notes: [
        ...(cost.lambdaMemoryMb !== undefined
          ? [
              `The single Lambda memory (${cost.lambdaMemoryMb} MB) is not used: each size of the sweep is priced at itself.`,
            ]
          : []),
        ...mem.notes,
      ],
      priceAsOf: prices.asOf,
      priceSource: prices.source,
      byMemory: mem.sizes,
    };
  return {
    jobs: jobs.length,
    localJobs: local,
    cloudJobs: jobs.length - local,
    sentence: est?.sentence ?? null,
    lines: est?.lines.map((l) => ({ item: l.item, quantity: l.quantity, usd: l.usd })) ?? [],
    totalUsd: est?.totalUsd ?? 0,
    notes: est?.notes ?? [],
    priceAsOf: prices.asOf,
    priceSource: prices.source,
  };
}
