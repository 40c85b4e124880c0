import { z } from 'zod';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from './metric-keys.ts';

/** A recorded run as kept in History (kind "recorded"): the import's fields, where it came from, and the definitions. */
export const RecordedRunRecordSchema = z.looseObject({
  kind: z.literal('recorded'),
  id: z.string(),
  /** `<source label>::<key>`: the same file imported twice is recognised. */
  origin: z.string(),
  source: z.string(),
  partition_mb: z.number(),
  data_label: z.string(),
  sweep: z.enum(['batch-size', 'data-size']),
  batch_size: z.number(),
  repeat: z.number(),
  ranks: z.number(),
  [CPU_TIME]: z.number(),
  [CPU_MEMORY]: z.number(),
  throughput_bps: z.number(),
  total_bits: z.number(),
  [EXECUTION_TIME]: z.number().nullable(),
  sample_persec: z.number().nullable(),
  cpu_time_outliers_dropped: z.number(),
  rank_cpu_seconds_total: z.number(),
  rank_results: z.array(z.record(z.string(), z.unknown())),
  warnings: z.array(z.string()),
});
export type RecordedRunRecord = z.infer<typeof RecordedRunRecordSchema>;
