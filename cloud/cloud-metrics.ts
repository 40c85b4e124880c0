import { AGGREGATE_DEFINITIONS, type CloudAggregate } from './aggregate.ts';
import type { CloudRunRecord } from '../base/cloud-run-record.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../base/metric-keys.ts';

/** What a cloud record's metrics mean, and its headline fields from the ranks' aggregate. */

export const CLOUD_METRIC_DEFINITIONS: Record<string, string> = {
  ...AGGREGATE_DEFINITIONS,
  num_batches: 'Batches summed over ranks.',
  device: "The ranks' device as they report it ('cpu').",
  rank_results:
    'Each rank writes one JSON with the study fields (total_cpu_time (seconds), total_cpu_memory (MB), execution_time (seconds/batch), num_batches, batch_size, device, throughput_bps, sample_persec, result_path, data_path).',
  lambda:
    "Summed over this execution's inference Lambda REPORT lines (attributed by request id to its ranks): billed and actual duration, the largest Max Memory Used, cold starts (lines with Init Duration).",
  lambda_per_rank:
    'Per rank: Duration, Billed Duration (ms), Memory Size, Max Memory Used (MB), Init Duration (ms, cold starts only), from the REPORT line of the request that logged this rank.',
};

export function headlineMetrics(
  a: CloudAggregate | null,
): Pick<
  CloudRunRecord,
  | typeof CPU_TIME
  | typeof CPU_MEMORY
  | typeof EXECUTION_TIME
  | 'num_batches'
  | 'batch_size'
  | 'throughput_bps'
  | 'sample_persec'
  | 'total_bits'
  | 'wall_throughput_bps'
  | 'map_duration_seconds'
  | 'cpu_time_outliers_dropped'
  | 'ranks'
> {
  const f = (v: number | null | undefined) => (v === undefined || v === null || !Number.isFinite(v) ? null : v);
  return {
    [CPU_TIME]: f(a?.[CPU_TIME]),
    [CPU_MEMORY]: f(a?.[CPU_MEMORY]),
    [EXECUTION_TIME]: f(a?.[EXECUTION_TIME]),
    num_batches: f(a?.num_batches),
    batch_size: f(a?.batch_size),
    throughput_bps: f(a?.throughput_bps),
    sample_persec: f(a?.sample_persec),
    total_bits: f(a?.total_bits),
    wall_throughput_bps: f(a?.wall_throughput_bps),
    map_duration_seconds: f(a?.map_duration_seconds),
    cpu_time_outliers_dropped: a?.cpu_time_outliers_dropped ?? 0,
    ranks: a?.ranks ?? 0,
  };
}
