import { z } from 'zod';
import { PrecisionSchema } from './options.ts';

/**
 * A study's sweep parameters and their expansion into an ordered job list. The study ran two sweeps:
 * - batch-size: every batch size at one data size and partition size (the study: 1 GB, 25 MB partitions);
 * - data-size: every partition size × data size at one batch size (the study: 512).
 * Job ids depend only on the job's parameters, so the same parameters always give the same ids and a queue can
 * resume after a restart.
 * Local runs have no partitions or world size of their own: a local job runs the chosen local data with one batch
 * size, so the local target takes part in the batch-size sweep only.
 */

/** Lambda's own limits for a function's MemorySize, MB. */
export const LAMBDA_MEMORY_MIN_MB = 128;
export const LAMBDA_MEMORY_MAX_MB = 10_240;

export const STUDY_TARGETS = ['local', 'cloud', 'both'] as const;
export const DataSize = z.union([z.number().positive(), z.literal('all')]);
export type DataSize = z.infer<typeof DataSize>;

const positiveInts = (what: string) =>
  z
    .array(z.number().int().positive(`${what} must be whole positive numbers`))
    .min(1, `give at least one ${what.replace(/s$/, '')}`)
    .refine((v) => new Set(v).size === v.length, `${what} has duplicates`);

export const SweepParamsSchema = z.object({
  target: z.enum(STUDY_TARGETS).default('local'),
  sweeps: z
    .array(z.enum(['batch-size', 'data-size']))
    .min(1)
    .default(['batch-size', 'data-size']),
  batchSizes: positiveInts('batch sizes').default([32, 64, 128, 256, 512]),
  partitionSizesMb: z
    .array(z.number().positive('partition sizes must be positive'))
    .min(1, 'give at least one partition size')
    .refine((v) => new Set(v).size === v.length, 'partition sizes has duplicates')
    .default([25, 50, 75, 100]),
  dataSizesGb: z
    .array(DataSize)
    .min(1)
    .refine((v) => new Set(v).size === v.length, 'data sizes has duplicates')
    .default([1, 2, 4, 6, 8, 10, 'all']),
  /** Cloud ranks per execution; null = one rank per partition (the study's setting). */
  worldSizes: z.array(z.number().int().positive().nullable()).min(1).default([null]),
  repeats: z.number().int().min(1).max(100).default(3),
  /** The fixed values of the other sweep. */
  batchSweepDataGb: DataSize.default(1),
  batchSweepPartitionMb: z.number().positive().default(25),
  dataSweepBatchSize: z.number().int().positive().default(512),
  /** Local runs: the .pt files/folders to run (default: the bundled sample data) and onnxruntime threads. */
  localData: z.array(z.string()).optional(),
  localThreads: z.number().int().positive().optional(),
  /** Local runs: fp32 (default) or the model's int8 copy (see runLocal's `precision`). */
  localPrecision: PrecisionSchema.optional(),
  /**
   * Cloud jobs: the inference function's memory (MB) as a sweep axis; every cloud configuration runs at each size,
   * the function being set before its jobs (cloud/lambda-memory.ts). Absent: the function is left as it is.
   */
  lambdaMemoriesMb: z
    .array(
      z
        .number()
        .int('Lambda memory must be a whole number of MB')
        .min(LAMBDA_MEMORY_MIN_MB, `Lambda memory must be at least ${LAMBDA_MEMORY_MIN_MB} MB`)
        .max(LAMBDA_MEMORY_MAX_MB, `Lambda memory must be at most ${LAMBDA_MEMORY_MAX_MB} MB`),
    )
    .min(1, 'give at least one Lambda memory size')
    .refine((v) => new Set(v).size === v.length, 'Lambda memory sizes has duplicates')
    .optional(),
});
export type SweepParamsInput = z.input<typeof SweepParamsSchema>;
export type SweepParams = z.output<typeof SweepParamsSchema>;

export interface StudyJob {
  id: string;
  target: 'local' | 'cloud';
  sweep: 'batch-size' | 'data-size';
  batchSize: number;
  /** Null for local jobs. */
  partitionMb: number | null;
  /** The study's folder label: "1GB", or "total" for all of the data; null for local jobs. */
  dataLabel: string | null;
  worldSize: number | null;
  /** Cloud jobs of a memory sweep: the function's memory (MB) for this job; null = left as it is. */
  lambdaMemoryMb: number | null;
  /** 1-based. */
  repeat: number;
}

export const dataLabelOf = (size: DataSize): string => (size === 'all' ? 'total' : `${size}GB`);

/** Checks and fills defaults; the error names each bad parameter. */
export function parseSweepParams(input: SweepParamsInput): SweepParams {
  const parsed = SweepParamsSchema.refine((p) => !p.lambdaMemoriesMb || p.target !== 'local', {
    path: ['lambdaMemoriesMb'],
    message: 'Lambda memory is a cloud setting: use target cloud or both, or leave the memory sizes empty',
  }).safeParse(input);
  if (!parsed.success)
    throw new Error(
      `sweep parameters are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** E.g. `cloud/data-size/bs512/p100MB/total/m2048/r1`; `m<MB>` only on jobs of a memory sweep. */
export function jobId(j: Omit<StudyJob, 'id' | 'lambdaMemoryMb'> & { lambdaMemoryMb?: number | null }): string {
  const parts = [j.target, j.sweep, `bs${j.batchSize}`];
  if (j.partitionMb !== null) parts.push(`p${j.partitionMb}MB`);
  if (j.dataLabel !== null) parts.push(j.dataLabel);
  if (j.worldSize !== null) parts.push(`w${j.worldSize}`);
  if (j.lambdaMemoryMb != null) parts.push(`m${j.lambdaMemoryMb}`);
  parts.push(`r${j.repeat}`);
  return parts.join('/');
}

/**
 * The jobs in run order: target, (cloud) Lambda memory, sweep, configuration, then repeat (a configuration's repeats
 * run back to back, and all jobs at one memory size run before the function is changed again).
 */
export function expandSweep(input: SweepParamsInput): StudyJob[] {
  const p = parseSweepParams(input);
  const targets: Array<'local' | 'cloud'> = p.target === 'both' ? ['local', 'cloud'] : [p.target];
  const jobs: StudyJob[] = [];
  let memory: number | null = null;
  const add = (j: Omit<StudyJob, 'id' | 'repeat' | 'lambdaMemoryMb'>) => {
    const lambdaMemoryMb = j.target === 'cloud' ? memory : null;
    for (let repeat = 1; repeat <= p.repeats; repeat++)
      jobs.push({ id: jobId({ ...j, lambdaMemoryMb, repeat }), ...j, lambdaMemoryMb, repeat });
  };
  type Step = ['local' | 'cloud', number | null];
  const plan = targets.flatMap((t): Step[] =>
    t === 'cloud' && p.lambdaMemoriesMb ? p.lambdaMemoriesMb.map((m): Step => [t, m]) : [[t, null]],
  );
  for (const [target, mb] of plan) {
    memory = mb;
    const worlds = target === 'local' ? [null] : p.worldSizes;
    if (p.sweeps.includes('batch-size'))
      for (const batchSize of p.batchSizes)
        for (const worldSize of worlds)
          add(
            target === 'local'
              ? { target, sweep: 'batch-size', batchSize, partitionMb: null, dataLabel: null, worldSize: null }
              : {
                  target,
                  sweep: 'batch-size',
                  batchSize,
                  partitionMb: p.batchSweepPartitionMb,
                  dataLabel: dataLabelOf(p.batchSweepDataGb),
                  worldSize,
                },
          );
    if (p.sweeps.includes('data-size') && target === 'cloud')
      for (const partitionMb of p.partitionSizesMb)
        for (const size of p.dataSizesGb)
          for (const worldSize of worlds)
            add({
              target,
              sweep: 'data-size',
              batchSize: p.dataSweepBatchSize,
              partitionMb,
              dataLabel: dataLabelOf(size),
              worldSize,
            });
  }
  return jobs;
}
