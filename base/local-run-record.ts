import { z } from 'zod';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from './metric-keys.ts';
import { GraphOptimizationSchema, PrecisionSchema } from './options.ts';
import { DefinitionsMapSchema, inputBitsPerGalaxy, type StoredDtype } from './metric-catalogue.ts';
import { TuningRecordSchema } from './tuning-record.ts';

/**
 * The record of a local run. The per-partition record is the local equivalent of one Lambda rank in the study
 * (AI-for-Astronomy `aws/` inference), so its metric fields carry the study's exact names and units; the fields
 * after those are additions. Types come from the zod schemas so other layers (UI, history, cloud comparison)
 * can validate records they read back.
 */

const nonneg = () => z.number().nonnegative();

/** The study's per-rank fields, with its names and units. */
export const StudyFieldsSchema = z.object({
  [CPU_TIME]: nonneg(),
  [CPU_MEMORY]: nonneg(),
  [EXECUTION_TIME]: nonneg(),
  num_batches: z.number().int().nonnegative(),
  batch_size: z.number().int().positive(),
  device: z.string(),
  throughput_bps: nonneg(),
  sample_persec: nonneg(),
  data_path: z.string(),
});
export type StudyFields = z.infer<typeof StudyFieldsSchema>;

/**
 * The study's per-rank fields as its Lambda inference.py computes them from the torch profiler (the PyTorch engine
 * only): profiler operator CPU time, profiler allocation sum ÷ 1e6, and the rates over that time.
 */
export const StudyProfilerSchema = z.object({
  'total_cpu_time (seconds)': nonneg(),
  'total_cpu_memory (MB)': nonneg(),
  'execution_time (seconds/batch)': nonneg(),
  num_batches: z.number().int().nonnegative(),
  batch_size: z.number().int().positive(),
  device: z.string(),
  throughput_bps: nonneg(),
  sample_persec: nonneg(),
});
export type StudyProfiler = z.infer<typeof StudyProfilerSchema>;

export const LatencySchema = z.object({ p50: nonneg(), p90: nonneg(), p99: nonneg() });
export type Latency = z.infer<typeof LatencySchema>;

/** Fields added to the study's, kept for the partition and for the run. */
const AddedFieldsSchema = z.object({
  /** Galaxies inferred. */
  samples: z.number().int().nonnegative(),
  /** Inference wall time: first batch start to last batch end, load excluded. */
  inference_seconds: nonneg(),
  /** Reading + parsing the .pt file(s), kept out of inference_seconds. */
  load_seconds: nonneg(),
  /** Per-batch session.run latency; null when no batch ran. */
  latency_ms: LatencySchema.nullable(),
  /** NaN / ±Inf values found in the image and magnitude inputs (they are still inferred). */
  nan_inputs: z.number().int().nonnegative(),
  inf_inputs: z.number().int().nonnegative(),
  /** Input bits per galaxy from the stored dtypes (absent in older records: 164,000 assumed). */
  bits_per_sample: nonneg().optional(),
  /** Bits of input actually read: Σ galaxies × bits per galaxy (absent in older records). */
  total_bits: nonneg().optional(),
  /** The study's formulas over this run's physical time (absent in older records). */
  /** PyTorch engine: the study's profiler fields (null when the profiler was off; absent for onnxruntime). */
  study_profiler: StudyProfilerSchema.nullable().optional(),
  study_formula: z
    .object({
      /** inference_seconds ÷ (samples ÷ batch_size), the study's fractional batch count. */
      'execution_time (seconds/batch)': nonneg(),
    })
    .optional(),
});

export const PartitionStatusSchema = z.enum(['completed', 'cancelled', 'failed', 'skipped']);
export type PartitionStatus = z.infer<typeof PartitionStatusSchema>;

export const PartitionRecordSchema = StudyFieldsSchema.extend(AddedFieldsSchema.shape).extend({
  /** 1-based partition number, in numeric file order. */
  partition: z.number().int().positive(),
  status: PartitionStatusSchema,
  /** Galaxies the file's header declares. */
  samples_in_file: z.number().int().nonnegative(),
  /** Why the partition failed (e.g. a .pt parse error), else null. */
  error: z.string().nullable(),
});
export type PartitionRecord = z.infer<typeof PartitionRecordSchema>;

export { GraphOptimizationSchema, type GraphOptimization } from './options.ts';

export const RunOptionsRecordSchema = z.object({
  batchSize: z.number().int().positive(),
  /** onnxruntime intra-op threads. */
  threads: z.number().int().positive(),
  interOpThreads: z.number().int().positive(),
  graphOptimization: GraphOptimizationSchema,
  executionMode: z.literal('sequential'),
  /** onnxruntime intra-op threads spin while idle (absent in records made before the option existed: they did). */
  spinning: z.boolean().optional(),
  /** Galaxies per onnxruntime session.run, recorded when host tuning chose it (else the engine's 16). */
  galaxiesPerSessionRun: z.number().int().positive().optional(),
  /** 'tanh': GELU ran in its tanh form (onnxruntime's FastGelu; the int8 default); absent: the exact erf form. */
  gelu: z.literal('tanh').optional(),
});

export const ModelRecordSchema = z.object({
  path: z.string(),
  label: z.string(),
  reference: z.boolean(),
  parameters: z.number().int().nonnegative(),
  /** 2 × multiply-adds per galaxy; null when the model's shapes could not be inferred. */
  flopsPerSample: nonneg().nullable(),
  precision: PrecisionSchema,
});

export const DatasetRecordSchema = z.object({
  /** What the user asked for (files and/or folders). */
  spec: z.array(z.string()),
  /** The partition files it resolved to, in order. */
  files: z.array(z.string()),
  samples: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** True for the bundled synthetic sample data. */
  synthetic: z.boolean(),
});

export const AccuracySchema = z.object({
  count: z.number().int().positive(),
  mae: nonneg(),
  mse: nonneg(),
  bias: z.number(),
  sigma_nmad: nonneg(),
  r2: z.number().nullable(),
  outlier_fraction: z.number().min(0).max(1),
});

export const HostInfoSchema = z.object({
  cpuModel: z.string(),
  logicalCores: z.number().int().positive(),
  physicalCores: z.number().int().positive(),
  physicalCoresSource: z.enum(['cpuinfo', 'sysctl', 'estimate']),
  ramBytes: nonneg(),
  os: z.string(),
  arch: z.string(),
  node: z.string(),
  onnxruntime: z.string(),
  cpuFlags: z.array(z.string()),
});

export const RunStatusSchema = z.enum(['completed', 'cancelled', 'failed']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const LocalRunRecordSchema = StudyFieldsSchema.extend(AddedFieldsSchema.shape).extend({
  id: z.string().min(1),
  kind: z.literal('local'),
  status: RunStatusSchema,
  started: z.iso.datetime(),
  finished: z.iso.datetime(),
  /** Start to finish, session creation and loading included. */
  wall_seconds: nonneg(),
  /** Session creation (model load + graph optimisation). */
  session_seconds: nonneg(),
  /** Run start to the session ready (see METRIC_DEFINITIONS); absent in older records and when it never was. */
  startup_seconds: nonneg().optional(),
  /** The OS high-water mark of the whole process's RSS (getrusage maxrss), MB; the ceiling of total_cpu_memory. */
  max_rss_mb: nonneg(),
  options: RunOptionsRecordSchema,
  model: ModelRecordSchema,
  dataset: DatasetRecordSchema,
  partitions: z.array(PartitionRecordSchema),
  accuracy: AccuracySchema.nullable(),
  host: HostInfoSchema,
  /** Why the run failed, else null. */
  error: z.string().nullable(),
  metricDefinitions: z.record(z.string(), z.string()),
  /** Per number, the catalogue definition that produced it (base/metric-catalogue.ts); absent in older records. */
  definitions: DefinitionsMapSchema.optional(),
  /** The local engine: absent in records made before the PyTorch engine existed (they are onnxruntime). */
  engine: z.enum(['onnxruntime', 'pytorch']).optional(),
  /** PyTorch engine: the interpreter and torch that ran it. */
  runtime: z
    .object({ python: z.string(), pythonVersion: z.string(), torch: z.string(), threads: z.number().int() })
    .optional(),
  /** Host tuning (tune 'auto'): what was chosen, from the cache or a calibration, and why; absent when off. */
  tuning: TuningRecordSchema.optional(),
});
export type LocalRunRecord = z.infer<typeof LocalRunRecordSchema>;

/** What each metric means; stored in every record so a JSON file explains itself. Mirrored in the README. */
export const METRIC_DEFINITIONS: Record<string, string> = {
  [CPU_TIME]:
    'User + system CPU time of the whole inference process (process.cpuUsage; worker threads share the process) ' +
    'summed over the inference windows (first batch start to last batch end of each partition). Includes ' +
    "onnxruntime's pool threads, so it can exceed wall time by up to the thread count.",
  [CPU_MEMORY]:
    'Peak resident set size of the inference process in MB (2^20 bytes), sampled with process.memoryUsage.rss() ' +
    'after session creation and after every batch; the run value is the maximum over partitions. max_rss_mb holds ' +
    "the OS's own high-water mark (getrusage maxrss) for the process since it started, which bounds it from above.",
  [EXECUTION_TIME]: 'inference_seconds / num_batches.',
  num_batches: 'Batches run: ceil(samples / batch_size) per partition (the last batch may be smaller).',
  batch_size: 'Galaxies per batch requested.',
  device: "Where inference ran: 'cpu' (onnxruntime CPU execution provider).",
  throughput_bps:
    'Bits of the image [N,5,32,32] and magnitude [N,5] tensors read, at their stored dtypes ' +
    '(element size x elements x 8: 164,000 per galaxy for float32, 164,160 with float64 magnitudes) / inference_seconds.',
  bits_per_sample: 'Input bits per galaxy from the stored dtypes of image and magnitude (element size x elements x 8).',
  total_bits: 'Bits of input actually read: sum over partitions of galaxies x bits_per_sample.',
  study_formula:
    "The study's formulas over this run's physical time: execution_time (seconds/batch) = inference_seconds / " +
    "(samples / batch_size), a fractional batch count, as the study's inference.py divides.",
  sample_persec: 'samples / inference_seconds.',
  data_path: 'The partition file (per partition); for the run, the dataset as given.',
  samples: 'Galaxies inferred.',
  inference_seconds:
    'Inference wall time: from the start of the first batch to the end of the last, summed over partitions. ' +
    'Excludes loading and session creation.',
  load_seconds:
    'Wall time to read and parse the .pt partition file(s) into float32 arrays, NaN/Inf count included; not part of ' +
    'inference_seconds. A streamed partition (zip, stored float32 records) adds its open (structure and CRC-32 pass) ' +
    'to its per-batch reads, summed; any other file is read whole before its first batch.',
  latency_ms:
    'Per-batch inference wall time (all session.run calls of the batch), p50/p90/p99 with linear interpolation (numpy default), in ms.',
  nan_inputs: 'NaN values found in the image + magnitude inputs (inferred anyway; predictions may be NaN).',
  inf_inputs: '+/-Inf values found in the image + magnitude inputs.',
  wall_seconds: 'Start to finish of the run, session creation, loading and inference included.',
  session_seconds:
    'onnxruntime InferenceSession creation: model load and graph optimisation (host tuning, when on, before it).',
  startup_seconds:
    'Wall time from the start of the run to its inference session being ready, s: the worker thread start and ' +
    'module loading, and on the calling thread alongside it the model inspection, the int8 copy (made on first ' +
    'use) and the data discovery; then host tuning when on, and session_seconds. The first batch follows it; ' +
    'neither load_seconds nor inference_seconds include it.',
  tuning:
    "Host tuning (tune 'auto'): threads, galaxies per session.run and intra-op spinning chosen by a calibration on " +
    'this host and model: one synthetic batch of min(batch size, 64) galaxies per candidate, candidates interleaved, ' +
    'best of 3 rounds, stage by stage (threads, then slice, then spinning); a candidate replaces the default only ' +
    'when its wall time per galaxy is lower by > 3% (spinning: > 5%) and by more than the noise, (median - best) / ' +
    'best of either candidate; a changed choice must then win again against the defaults over 7 rounds (stage ' +
    "'confirm'). Per candidate: wallMsPerGalaxy = best batch wall time / galaxies, wallMsPerGalaxyMedian = median of " +
    'the same, cpuMsPerGalaxy = best process user + system CPU over the batch / galaxies (ms). otherBusyCores = ' +
    "cores other processes kept busy during the calibration (/proc/stat busy share x logical cores - this process's " +
    'CPU / wall). Cached per host (CPU model, flags, cores), onnxruntime version, model SHA-256, precision and fixed ' +
    'options, unless otherBusyCores > 0.3 (notCached says so).',
  spinOverheadCpuSeconds:
    'With spinning chosen: (cpuMsPerGalaxy with spinning on - with it off, same threads, slice and calibration ' +
    'batch) x galaxies inferred / 1000, s: the estimated part of total_cpu_time that idle threads spent spinning, ' +
    'not working. total_cpu_time itself still counts it (it is what the process used).',
  max_rss_mb: "OS high-water mark of the process's resident set (process.resourceUsage().maxRSS), MB.",
  accuracy:
    'With labels, over galaxies with finite z_true and z_pred, dz = z_pred - z_true: MAE = mean|dz|, MSE = mean dz^2, ' +
    'bias = mean dz, sigma_NMAD = 1.48 median(|dz - median dz| / (1 + z_true)), R^2 = 1 - sum dz^2 / sum (z_true - mean)^2, ' +
    'outlier_fraction = share with |dz| / (1 + z_true) > 0.15.',
};

/** Bits of input per galaxy when image and magnitudes are both float32 (164,000). */
export const INPUT_BITS_PER_SAMPLE = (5 * 32 * 32 + 5) * 32;

/** Input bits per galaxy of a partition from its stored dtypes; float32 when the header did not say. */
export function bitsPerSampleOf(dtypes: { images: StoredDtype; magnitudes: StoredDtype } | undefined): number {
  return dtypes ? inputBitsPerGalaxy(dtypes) : INPUT_BITS_PER_SAMPLE;
}

/** Raw measurements of one partition (or of a whole run), from which the study fields are derived. */
export interface Measured {
  samples: number;
  batches: number;
  inferenceSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  /** Bits of input read (galaxies × bits per galaxy from the stored dtypes); default samples × 164,000. */
  bits?: number;
}

const MB = 1 << 20;

/** The study's rate fields from raw measurements; rates are 0 when nothing was inferred. */
export function studyRates(
  m: Measured,
): Pick<
  StudyFields,
  typeof CPU_TIME | typeof CPU_MEMORY | typeof EXECUTION_TIME | 'num_batches' | 'throughput_bps' | 'sample_persec'
> {
  const t = m.inferenceSeconds;
  return {
    [CPU_TIME]: m.cpuSeconds,
    [CPU_MEMORY]: m.peakRssBytes / MB,
    [EXECUTION_TIME]: m.batches > 0 ? t / m.batches : 0,
    num_batches: m.batches,
    throughput_bps: t > 0 ? (m.bits ?? m.samples * INPUT_BITS_PER_SAMPLE) / t : 0,
    sample_persec: t > 0 ? m.samples / t : 0,
  };
}

/** The added exact-count fields: bits read and the study's per-batch formula over physical time. */
export function exactCounts(
  m: Measured,
  batchSize: number,
): {
  total_bits: number;
  bits_per_sample: number;
  study_formula: { 'execution_time (seconds/batch)': number };
} {
  const bits = m.bits ?? m.samples * INPUT_BITS_PER_SAMPLE;
  return {
    total_bits: bits,
    bits_per_sample: m.samples > 0 ? bits / m.samples : INPUT_BITS_PER_SAMPLE,
    study_formula: {
      'execution_time (seconds/batch)': m.samples > 0 ? m.inferenceSeconds / (m.samples / batchSize) : 0,
    },
  };
}
