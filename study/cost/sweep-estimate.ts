import type { StudyJob } from '../../base/sweep-plan.ts';
import {
  estimateStudyCost,
  type LambdaConfig,
  type StudyCostEstimate,
  type StudyCostPlan,
} from '../../base/cost-model.ts';
import { DEFAULT_PRICE_TABLE, type PriceTable } from '../../base/price-table.ts';

/**
 * The cost estimate of a sweep's cloud jobs. Ranks per execution = the job's world size, else one per partition:
 * ceil(data GB × 1024 / partition MB), which gives the study's 517 / 259 / 173 / 130 requests for its 12.6 GB set
 * at 25 / 50 / 75 / 100 MB.
 */

export interface SweepCostOptions {
  lambda: LambdaConfig;
  /** Size of "all" the data (the "total" label), GB. Default 12.6, the study's dataset. */
  allDataGb?: number;
  prices?: PriceTable;
  tuning?: Omit<StudyCostPlan, 'executions' | 'lambda'>;
}

export function ranksFor(job: Pick<StudyJob, 'worldSize' | 'partitionMb' | 'dataLabel'>, allDataGb = 12.6): number {
  if (job.worldSize !== null) return job.worldSize;
  if (job.partitionMb === null || job.dataLabel === null)
    throw new Error('a cloud job needs a partition size and a data size');
  const gb = job.dataLabel === 'total' ? allDataGb : Number(/^(\d+(?:\.\d+)?)GB$/.exec(job.dataLabel)?.[1]);
  if (!(gb > 0)) throw new Error(`cannot tell the data size of "${job.dataLabel}"`);
  return Math.ceil((gb * 1024) / job.partitionMb);
}

/** Null when the sweep has no cloud jobs. */
export function estimateSweepCost(jobs: StudyJob[], opts: SweepCostOptions): StudyCostEstimate | null {
  const cloud = jobs.filter((j) => j.target === 'cloud');
  if (cloud.length === 0) return null;
  const executions = cloud.map((j) => ({
    ranks: ranksFor(j, opts.allDataGb),
    partitionMb: j.partitionMb!,
    repeats: 1,
  }));
  return estimateStudyCost({ ...opts.tuning, executions, lambda: opts.lambda }, opts.prices ?? DEFAULT_PRICE_TABLE);
}
