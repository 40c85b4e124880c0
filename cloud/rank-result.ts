import { z } from 'zod';
import { StudyFieldsSchema } from '../base/local-run-record.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../base/metric-keys.ts';

/**
 * One rank's result file `<result_path>/<rank>.json`, with exactly the study's keys (AI-for-Astronomy
 * `execution_info`): the metric fields the local runner also records, plus `result_path`, and `data_path` as the
 * study writes it (the key, or the list of keys when a rank has several files).
 */
export const RankResultSchema = StudyFieldsSchema.omit({ data_path: true })
  .extend({
    result_path: z.string(),
    data_path: z.union([z.string(), z.array(z.string())]),
  })
  .strict();
export type RankResult = z.infer<typeof RankResultSchema>;

/** The keys in the study's order. */
export const RANK_RESULT_KEYS = [
  CPU_TIME,
  CPU_MEMORY,
  EXECUTION_TIME,
  'num_batches',
  'batch_size',
  'device',
  'throughput_bps',
  'sample_persec',
  'result_path',
  'data_path',
] as const satisfies ReadonlyArray<keyof RankResult>;

export const rankResultKey = (resultPath: string, rank: number) => `${resultPath.replace(/\/+$/, '')}/${rank}.json`;
export const combinedKey = (resultPath: string) => `${resultPath.replace(/\/+$/, '')}/combined_data.json`;
