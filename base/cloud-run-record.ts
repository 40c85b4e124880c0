import { z } from 'zod';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from './metric-keys.ts';
import { RankTimelineSchema } from './rank-timeline.ts';
import { LambdaArchSchema } from './price-table.ts';

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

/**
 * One Step Functions execution of a run. A run whose failed ranks were re-run (cloud/rerun-merge.ts) has several,
 * into the same result_path: the original, then each re-run with the ranks it ran. Each says what it covered, so
 * the run's totals (Lambda usage, cost, Map items) can say they are sums over all of them.
 */
export const RunExecutionSchema = z.object({
  executionArn: z.string(),
  executionName: z.string(),
  role: z.enum(['original', 'rerun']),
  /** ISO times of ExecutionStarted and the execution's end (null when it had not ended when recorded). */
  started: z.string(),
  stopped: z.string().nullable(),
  status: CloudRunStatusSchema,
  /** The ranks this execution ran (all of them for the original; the re-run ones for a re-run). */
  ranks: z.array(z.number()),
  /** This execution's REPORT-line totals (failed attempts included); null when its logs were not readable. */
  lambda: LambdaUsageSchema.nullable(),
  lambda_missing_ranks: z.array(z.number()).optional(),
  items: ItemCountsSchema.nullable(),
  map_duration_seconds: num,
});
export type RunExecution = z.infer<typeof RunExecutionSchema>;

export const CloudRunRecordSchema = z.object({
  id: z.string().min(1),
  kind: z.literal('cloud'),
  status: CloudRunStatusSchema,
  started: z.string(),
  finished: z.string().nullable(),
  profile: z.object({
    name: z.string(),
    region: z.string(),
    lambdaMemoryMb: z.number(),
    architecture: LambdaArchSchema,
    inferenceLambdaName: z.string(),
    /** Ran on the local emulator (credentials source "emulator"), not on AWS: its numbers are not AWS numbers. */
    emulated: z.boolean().optional(),
  }),
  stateMachineArn: z.string(),
  executionArn: z.string(),
  executionName: z.string(),
  /** The state-machine input exactly as sent. */
  payload: z.record(z.string(), z.unknown()),
  result_path: z.string(),
  bucket: z.string(),
  // The study's run-level fields (aggregated over ranks; null when no rank result was readable).
  [CPU_TIME]: num,
  [CPU_MEMORY]: num,
  [EXECUTION_TIME]: num,
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
    .array(
      z.object({
        rank: z.number(),
        requestId: z.string(),
        durationMs: z.number(),
        billedDurationMs: z.number(),
        memorySizeMb: z.number(),
        maxMemoryUsedMb: z.number(),
        initDurationMs: z.number().optional(),
        /** Index in `executions` of the execution this line is from (absent: the run had one execution). */
        execution: z.number().int().nonnegative().optional(),
      }),
    )
    .optional(),
  /** Ranks of this execution whose REPORT line was not found. */
  lambda_missing_ranks: z.array(z.number()).optional(),
  /** Where the results were looked for (s3:// URLs), so a missing file says where it was not. */
  results_looked_in: z.array(z.string()).optional(),
  /** Each rank's submitted/started/ended times and phases, and concurrency over time (base/rank-timeline.ts). */
  rank_timeline: RankTimelineSchema.optional(),
  /** The timeline's peak concurrency (ranks running at once), beside `ranks`; absent without a timeline. */
  measured_peak_concurrency: z.number().optional(),
  /** Why a run recorded since timelines exist has none (e.g. the execution history was unreadable). */
  rank_timeline_missing: z.string().optional(),
  /**
   * The executions this record covers, in order, when it has more than one (failed ranks re-run): `lambda`,
   * `items`, `map_duration_seconds` and the timeline then cover all of them; `executionArn` stays the original's.
   */
  executions: z.array(RunExecutionSchema).optional(),
});
export type CloudRunRecord = z.infer<typeof CloudRunRecordSchema>;
