import { z } from 'zod';
import { AGGREGATE_DEFINITIONS, type CloudAggregate } from './aggregate.ts';

/**
 * The record of a cloud run, stored beside local runs in the history (`<dataDir>/runs/<id>/run.json`, kind
 * "cloud"). The run-level metrics carry the study's names, as the local record's do, aggregated across ranks the
 * way the study did (cloud/aggregate.ts); the ranks' own JSON files are kept raw.
 */

const num = z.number().nullable();

export const CloudRunStatusSchema = z.enum(['running', 'completed', 'failed', 'timed_out', 'aborted']);
export type CloudRunStatus = z.infer<typeof CloudRunStatusSchema>;

export const ItemCountsSchema = z.object({
  pending: z.number(),
  running: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  timedOut: z.number(),
  aborted: z.number(),
  total: z.number(),
});

export const FailedRankSchema = z.object({
  rank: z.string().nullable(),
  index: z.number().nullable(),
  dataPath: z.unknown(),
  error: z.string(),
  cause: z.string(),
  event: z.string(),
  timestamp: z.string().nullable(),
});

export const LambdaUsageSchema = z.object({
  invocations: z.number(),
  billedDurationMs: z.number(),
  durationMs: z.number(),
  maxMemoryUsedMb: z.number(),
  coldStarts: z.number(),
  initDurationMs: z.number(),
});
export type LambdaUsage = z.infer<typeof LambdaUsageSchema>;

export const CloudRunRecordSchema = z.object({
  id: z.string().min(1),
  kind: z.literal('cloud'),
  status: CloudRunStatusSchema,
  started: z.string(),
  finished: z.string().nullable(),
  profile: z.object({ name: z.string(), region: z.string(), lambdaMemoryMb: z.number(), architecture: z.enum(['x86_64', 'arm64']), inferenceLambdaName: z.string() }),
  stateMachineArn: z.string(),
  executionArn: z.string(),
  executionName: z.string(),
  /** The state-machine input exactly as sent. */
  payload: z.record(z.string(), z.unknown()),
  result_path: z.string(),
  bucket: z.string(),
  // The study's run-level fields (aggregated over ranks; null when no rank result was readable).
  'total_cpu_time (seconds)': num,
  'total_cpu_memory (MB)': num,
  'execution_time (seconds/batch)': num,
  num_batches: num,
  batch_size: num,
  device: z.string().nullable(),
  throughput_bps: num,
  sample_persec: num,
  total_bits: num,
  /** Labelled separately from the study's summed throughput: total_bits ÷ the Map state's duration. */
  wall_throughput_bps: num,
  map_duration_seconds: num,
  cpu_time_outliers_dropped: z.number(),
  ranks: z.number(),
  /** Per-rank result files as written by the workers, raw. */
  rank_results: z.array(z.record(z.string(), z.unknown())),
  rank_keys: z.array(z.string()),
  /** combined_data.json, raw; null when the summarizer did not run (e.g. a rank failed). */
  combined: z.array(z.unknown()).nullable(),
  results_source: z.enum(['rank-files', 'combined', 'none']),
  result_problems: z.array(z.object({ key: z.string(), problem: z.string() })),
  items: ItemCountsSchema.nullable(),
  failed_ranks: z.array(FailedRankSchema),
  /** From the Lambda's REPORT lines, when the logs were readable. */
  lambda: LambdaUsageSchema.nullable(),
  error: z.string().nullable(),
  cause: z.string().nullable(),
  metricDefinitions: z.record(z.string(), z.string()),
  /** Which pipeline ran it (see cloud/pipeline-target.ts); absent in records made before targets existed. */
  target: z.enum(['cai', 'cosmicai']).optional(),
  /** Every rank of the execution with the data it was given (null / [] = none), from the Map state's input. */
  rank_plan: z.array(z.object({ rank: z.number(), dataPath: z.unknown() })).optional(),
  /** Ranks given no data (more ranks than files): invoked, no result expected; not failures. */
  ranks_without_data: z.array(z.number()).optional(),
  /** Ranks given data whose result file was not found. */
  ranks_missing_results: z.array(z.number()).optional(),
  /** REPORT lines attributed by request id to this execution's ranks (see cloud/report-attribution.ts). */
  lambda_per_rank: z
    .array(z.object({ rank: z.number(), requestId: z.string(), durationMs: z.number(), billedDurationMs: z.number(), memorySizeMb: z.number(), maxMemoryUsedMb: z.number(), initDurationMs: z.number().optional() }))
    .optional(),
  /** Ranks of this execution whose REPORT line was not found. */
  lambda_missing_ranks: z.array(z.number()).optional(),
  /** Where the results were looked for (s3:// URLs), so a missing file says where it was not. */
  results_looked_in: z.array(z.string()).optional(),
});
export type CloudRunRecord = z.infer<typeof CloudRunRecordSchema>;

export const CLOUD_METRIC_DEFINITIONS: Record<string, string> = {
  ...AGGREGATE_DEFINITIONS,
  num_batches: 'Batches summed over ranks.',
  device: "The ranks' device as they report it ('cpu').",
  rank_results: 'Each rank writes one JSON with the study fields (total_cpu_time (seconds), total_cpu_memory (MB), execution_time (seconds/batch), num_batches, batch_size, device, throughput_bps, sample_persec, result_path, data_path).',
  lambda: "Summed over this execution's inference Lambda REPORT lines (attributed by request id to its ranks): billed and actual duration, the largest Max Memory Used, cold starts (lines with Init Duration).",
  lambda_per_rank: 'Per rank: Duration, Billed Duration (ms), Memory Size, Max Memory Used (MB), Init Duration (ms, cold starts only), from the REPORT line of the request that logged this rank.',
};

export function headlineMetrics(a: CloudAggregate | null): Pick<
  CloudRunRecord,
  | 'total_cpu_time (seconds)'
  | 'total_cpu_memory (MB)'
  | 'execution_time (seconds/batch)'
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
    'total_cpu_time (seconds)': f(a?.['total_cpu_time (seconds)']),
    'total_cpu_memory (MB)': f(a?.['total_cpu_memory (MB)']),
    'execution_time (seconds/batch)': f(a?.['execution_time (seconds/batch)']),
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
