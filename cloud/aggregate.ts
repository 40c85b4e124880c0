import { z } from 'zod';
import { percentiles } from '../engine/run/percentiles.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../base/metric-keys.ts';

/**
 * The study's per-rank result and its aggregation, exactly as `aws/stats.py` does it:
 *   - CPU time: mean after dropping values outside [Q1 − 1.5·IQR, Q3 + 1.5·IQR] (numpy percentiles, linear);
 *   - memory and throughput: summed over ranks;
 *   - total_bits: Σ throughput_bps × total_cpu_time (per rank, then summed).
 * Plus, separately labelled, "wall throughput" = total_bits ÷ the Map state's duration (what the study's
 * `adjust_throughput_stats` computes from the state-machine logs as `inference_duration (s)`).
 */

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** One rank's result file, the study's schema. Extra fields (e.g. s3 timings) are kept. */
export const RankResultSchema = z.looseObject({
  [CPU_TIME]: finite,
  [CPU_MEMORY]: finite,
  [EXECUTION_TIME]: finite,
  num_batches: finite,
  batch_size: finite,
  device: z.string(),
  throughput_bps: finite,
  sample_persec: finite,
  result_path: z.string(),
  data_path: z.union([z.string(), z.array(z.string())]),
});
export type RankResult = z.infer<typeof RankResultSchema>;

/** The fields the aggregation itself needs; a rank missing these cannot be counted. */
export const AggregatableRankSchema = z.looseObject({
  [CPU_TIME]: finite,
  [CPU_MEMORY]: finite,
  throughput_bps: finite,
});

export interface OutlierMean {
  mean: number;
  kept: number;
  dropped: number;
  q1: number;
  q3: number;
}

/** `remove_outliers_and_mean` from the study's stats.py. NaN for no values, like np.mean([]). */
export function removeOutliersAndMean(values: number[], threshold = 1.5): OutlierMean {
  if (values.length === 0) return { mean: Number.NaN, kept: 0, dropped: 0, q1: Number.NaN, q3: Number.NaN };
  const [q1, q3] = percentiles(values, [25, 75]);
  const iqr = q3 - q1;
  const lo = q1 - threshold * iqr;
  const hi = q3 + threshold * iqr;
  const kept = values.filter((x) => lo <= x && x <= hi);
  const mean = kept.length ? kept.reduce((a, b) => a + b, 0) / kept.length : Number.NaN;
  return { mean, kept: kept.length, dropped: values.length - kept.length, q1, q3 };
}

export interface CloudAggregate {
  ranks: number;
  /** IQR-filtered mean over ranks (study). */
  [CPU_TIME]: number;
  /** Sum over ranks (study). */
  [CPU_MEMORY]: number;
  /** Sum over ranks (study). */
  throughput_bps: number;
  /** Σ throughput_bps × total_cpu_time (study). */
  total_bits: number;
  /** Mean over ranks (added, for the comparison table). */
  [EXECUTION_TIME]: number | null;
  /** Sum over ranks (added). */
  sample_persec: number | null;
  /** Sum over ranks (added). */
  num_batches: number | null;
  /** The batch size, when all ranks agree. */
  batch_size: number | null;
  cpu_time_outliers_dropped: number;
  /** The Map state's duration from the execution history, seconds; null when unknown. */
  map_duration_seconds: number | null;
  /** Labelled separately: total_bits ÷ map_duration_seconds. */
  wall_throughput_bps: number | null;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const optional = (ranks: Array<Record<string, unknown>>, key: string): number[] | null => {
  const xs = ranks.map((r) => r[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return xs.length === ranks.length && xs.length > 0 ? xs : null;
};

export function aggregateRanks(
  ranks: Array<z.infer<typeof AggregatableRankSchema>>,
  mapDurationSeconds: number | null = null,
): CloudAggregate {
  const cpu = ranks.map((r) => r[CPU_TIME]);
  const cpuMean = removeOutliersAndMean(cpu);
  const totalBits = sum(ranks.map((r) => r.throughput_bps * r[CPU_TIME]));
  const spb = optional(ranks, EXECUTION_TIME);
  const sps = optional(ranks, 'sample_persec');
  const nb = optional(ranks, 'num_batches');
  const bs = optional(ranks, 'batch_size');
  const duration = mapDurationSeconds !== null && mapDurationSeconds > 0 ? mapDurationSeconds : null;
  return {
    ranks: ranks.length,
    [CPU_TIME]: cpuMean.mean,
    [CPU_MEMORY]: sum(ranks.map((r) => r[CPU_MEMORY])),
    throughput_bps: sum(ranks.map((r) => r.throughput_bps)),
    total_bits: totalBits,
    [EXECUTION_TIME]: spb ? sum(spb) / spb.length : null,
    sample_persec: sps ? sum(sps) : null,
    num_batches: nb ? sum(nb) : null,
    batch_size: bs && bs.every((b) => b === bs[0]) ? bs[0] : null,
    cpu_time_outliers_dropped: cpuMean.dropped,
    map_duration_seconds: duration,
    wall_throughput_bps: duration !== null && ranks.length > 0 ? totalBits / duration : null,
  };
}

export const AGGREGATE_DEFINITIONS: Record<string, string> = {
  [CPU_TIME]:
    "Per-rank CPU time, averaged after dropping ranks outside 1.5×IQR (quartiles by linear interpolation), as the study's stats.py.",
  [CPU_MEMORY]: 'Per-rank memory summed over ranks (study).',
  throughput_bps: 'Per-rank throughput summed over ranks (study): the throughput if all ranks ran at once.',
  total_bits: 'Σ over ranks of throughput_bps × total_cpu_time (study).',
  [EXECUTION_TIME]: 'Mean over ranks of seconds per batch.',
  sample_persec: 'Per-rank samples/second summed over ranks.',
  wall_throughput_bps:
    "Wall throughput: total_bits ÷ the Map state's duration from the execution history (the study's adjusted throughput).",
  map_duration_seconds:
    'The Distributed Map state: MapStateEntered to MapStateExited (or to the failure) in the execution history.',
};
