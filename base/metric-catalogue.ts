import { z } from 'zod';

/**
 * The metric catalogue: every number a run record carries under the study's field names, with its unit and the
 * definitions that can produce it. Two numbers under the same key are only comparable when the same definition
 * produced them: the study's Lambda script (torch profiler) and this app's local engine (process counters) share
 * field names but not meanings. Records state, per number, which definition produced it (`definitions`); records
 * made before that map existed get one inferred from where they came from (`inferDefinitions`).
 *
 * Dependency-free (zod only), so every layer can read it.
 */

/** What a metric measures; numbers of one family are comparable only under one definition. */
export const MetricFamilySchema = z.enum([
  'cpu-time',
  'memory',
  'time',
  'per-batch',
  'throughput',
  'rate',
  'bits',
  'concurrency',
]);
export type MetricFamily = z.infer<typeof MetricFamilySchema>;

export const DefinitionIdSchema = z.enum([
  // CPU time
  'cpu.process',
  'cpu.profiler',
  // memory
  'memory.peak-rss',
  'memory.lambda-max-used',
  'memory.profiler-alloc-sum',
  // time base of the rates
  'time.wall',
  'time.profiler',
  // seconds per batch
  'per-batch.wall-ceil-batches',
  'per-batch.wall-samples-per-batch',
  'per-batch.profiler-samples-per-batch',
  // throughput (bits per second)
  'throughput.dtype-bits-wall',
  'throughput.f32-bits-wall',
  'throughput.dtype-bits-profiler',
  // samples per second
  'rate.samples-wall',
  'rate.samples-profiler',
  // bits read
  'bits.read-dtype',
  'bits.throughput-x-cpu',
  // concurrent jobs
  'concurrency.rank-count',
  'concurrency.measured-peak',
]);
export type DefinitionId = z.infer<typeof DefinitionIdSchema>;

export interface MetricDefinition {
  id: DefinitionId;
  family: MetricFamily;
  /** A few words, for a column footnote or a tooltip's first line. */
  label: string;
  /** The full definition, for the tooltip, the docs and exported notes. */
  text: string;
  /** True for what the operating system or AWS measures of the process (wall clock, CPU, RSS, Max Memory Used). */
  physical: boolean;
}

const def = (
  id: DefinitionId,
  family: MetricFamily,
  physical: boolean,
  label: string,
  text: string,
): MetricDefinition => ({
  id,
  family,
  physical,
  label,
  text,
});

export const DEFINITIONS: Record<DefinitionId, MetricDefinition> = {
  'cpu.process': def(
    'cpu.process',
    'cpu-time',
    true,
    'process user+system CPU',
    'User + system CPU time of the whole inference process over the inference windows (first batch start to last ' +
      'batch end of each partition), all threads included: it can exceed wall time by up to the thread count.',
  ),
  'cpu.profiler': def(
    'cpu.profiler',
    'cpu-time',
    false,
    'torch profiler operator CPU sum',
    "The torch profiler's summed CPU time of every recorded operator over the run " +
      "(prof.key_averages().total_average().cpu_time_total / 1e6), as the study's Lambda inference.py computes it. " +
      'Nested operators are counted in their parents too, so it is not a process CPU time.',
  ),
  'memory.peak-rss': def(
    'memory.peak-rss',
    'memory',
    true,
    'peak RSS (MB = 2^20 bytes)',
    'Peak resident set size of the inference process, MB of 2^20 bytes.',
  ),
  'memory.lambda-max-used': def(
    'memory.lambda-max-used',
    'memory',
    true,
    'Lambda Max Memory Used (MB)',
    "The Lambda REPORT line's Max Memory Used for the invocation, MB as Lambda reports it: the peak of the worker.",
  ),
  'memory.profiler-alloc-sum': def(
    'memory.profiler-alloc-sum',
    'memory',
    false,
    'profiler allocation sum (MB = 1e6 bytes)',
    "The torch profiler's summed operator CPU memory usage ÷ 1e6 (prof.key_averages().total_average()" +
      ".cpu_memory_usage), as the study's inference.py computes it: a sum of allocations over the run, not a peak " +
      '(one recorded rank says 53,583 MB where its REPORT line says 5,948 MB used).',
  ),
  'time.wall': def(
    'time.wall',
    'time',
    true,
    'inference wall time',
    'Wall-clock time from the first batch start to the last batch end, summed over partitions; loading excluded.',
  ),
  'time.profiler': def(
    'time.profiler',
    'time',
    false,
    'torch profiler operator CPU sum',
    "The study's time base: the profiler's summed operator CPU time (see cpu.profiler).",
  ),
  'per-batch.wall-ceil-batches': def(
    'per-batch.wall-ceil-batches',
    'per-batch',
    true,
    'wall ÷ ceil(samples/batch)',
    'Inference wall time ÷ batches run (ceil(samples ÷ batch size) per partition; the last batch may be smaller).',
  ),
  'per-batch.wall-samples-per-batch': def(
    'per-batch.wall-samples-per-batch',
    'per-batch',
    true,
    'wall ÷ (samples/batch size)',
    "Inference wall time ÷ (samples ÷ batch size): the study's fractional batch count over physical time.",
  ),
  'per-batch.profiler-samples-per-batch': def(
    'per-batch.profiler-samples-per-batch',
    'per-batch',
    false,
    'profiler time ÷ (samples/batch size)',
    "The study's inference.py: profiler operator CPU time ÷ (samples ÷ batch size), a fractional batch count.",
  ),
  'throughput.dtype-bits-wall': def(
    'throughput.dtype-bits-wall',
    'throughput',
    true,
    'bits read ÷ wall time',
    'Bits of the image and magnitude tensors as stored (element size × elements × 8) ÷ inference wall time.',
  ),
  'throughput.f32-bits-wall': def(
    'throughput.f32-bits-wall',
    'throughput',
    true,
    '164,000 bits/galaxy ÷ wall time',
    'Older local records: a constant 164,000 bits per galaxy (float32 image + magnitudes) ÷ inference wall time, ' +
      'whatever the stored dtypes.',
  ),
  'throughput.dtype-bits-profiler': def(
    'throughput.dtype-bits-profiler',
    'throughput',
    false,
    'bits read ÷ profiler time',
    "The study's inference.py: input bits (element_size × nelement × 8 of image + magnitude) ÷ profiler CPU time.",
  ),
  'rate.samples-wall': def('rate.samples-wall', 'rate', true, 'samples ÷ wall time', 'Galaxies ÷ inference wall time.'),
  'rate.samples-profiler': def(
    'rate.samples-profiler',
    'rate',
    false,
    'samples ÷ profiler time',
    "The study's inference.py: galaxies ÷ profiler CPU time.",
  ),
  'bits.read-dtype': def(
    'bits.read-dtype',
    'bits',
    true,
    'galaxies × bits per galaxy (stored dtypes)',
    'Bits of input actually read: galaxies × (image + magnitude elements × their stored element size × 8); ' +
      '164,160 per galaxy with float64 magnitudes, 164,000 with float32.',
  ),
  'bits.throughput-x-cpu': def(
    'bits.throughput-x-cpu',
    'bits',
    false,
    'Σ throughput × CPU time',
    "Σ over ranks of throughput_bps × total_cpu_time, as the study's stats.py: equals the bits read when the " +
      "throughput and the CPU time share a time base (the study's ranks), not for older local records.",
  ),
  'concurrency.rank-count': def(
    'concurrency.rank-count',
    'concurrency',
    false,
    'ranks (one Lambda per partition)',
    'The study\'s "Concurrent jobs": the number of ranks the run was given, assuming they all ran at once.',
  ),
  'concurrency.measured-peak': def(
    'concurrency.measured-peak',
    'concurrency',
    true,
    'measured peak of ranks running at once',
    "The largest number of ranks whose invocation was running at the same time: a sweep line over each rank's " +
      '[first TaskStarted, iteration end) from the Step Functions execution history (the rank timeline).',
  ),
};

/** The record fields the catalogue covers, with the study's names. */
export const MetricKeySchema = z.enum([
  'total_cpu_time (seconds)',
  'total_cpu_memory (MB)',
  'execution_time (seconds/batch)',
  'throughput_bps',
  'sample_persec',
  'total_bits',
  'inference_seconds',
  'concurrent_jobs',
]);
export type MetricKey = z.infer<typeof MetricKeySchema>;

export interface CatalogueEntry {
  key: MetricKey;
  unit: string;
  family: MetricFamily;
  /** Definitions that can produce this key, the study's first where it has one. */
  definitions: DefinitionId[];
}

export const METRIC_CATALOGUE: CatalogueEntry[] = [
  { key: 'total_cpu_time (seconds)', unit: 's', family: 'cpu-time', definitions: ['cpu.profiler', 'cpu.process'] },
  {
    key: 'total_cpu_memory (MB)',
    unit: 'MB',
    family: 'memory',
    definitions: ['memory.profiler-alloc-sum', 'memory.peak-rss', 'memory.lambda-max-used'],
  },
  {
    key: 'execution_time (seconds/batch)',
    unit: 's/batch',
    family: 'per-batch',
    definitions: [
      'per-batch.profiler-samples-per-batch',
      'per-batch.wall-ceil-batches',
      'per-batch.wall-samples-per-batch',
    ],
  },
  {
    key: 'throughput_bps',
    unit: 'bit/s',
    family: 'throughput',
    definitions: ['throughput.dtype-bits-profiler', 'throughput.dtype-bits-wall', 'throughput.f32-bits-wall'],
  },
  {
    key: 'sample_persec',
    unit: 'samples/s',
    family: 'rate',
    definitions: ['rate.samples-profiler', 'rate.samples-wall'],
  },
  { key: 'total_bits', unit: 'bit', family: 'bits', definitions: ['bits.read-dtype', 'bits.throughput-x-cpu'] },
  { key: 'inference_seconds', unit: 's', family: 'time', definitions: ['time.wall', 'time.profiler'] },
  {
    key: 'concurrent_jobs',
    unit: 'ranks',
    family: 'concurrency',
    definitions: ['concurrency.rank-count', 'concurrency.measured-peak'],
  },
];

export function catalogueEntry(key: MetricKey): CatalogueEntry {
  const e = METRIC_CATALOGUE.find((x) => x.key === key);
  if (!e) throw new Error(`metric ${key} is not in the catalogue`);
  return e;
}

/** Per number of a record, the definition that produced it. */
export const DefinitionsMapSchema = z.partialRecord(MetricKeySchema, DefinitionIdSchema);
export type DefinitionsMap = z.infer<typeof DefinitionsMapSchema>;

/** Where a record's numbers came from, which fixes their definitions when the record does not say. */
export type RecordSource =
  /** This app's local engine (onnxruntime) before records carried `definitions`. */
  | 'local-onnx-legacy'
  /** This app's local engines today (onnxruntime or PyTorch): physical numbers. */
  | 'local-physical'
  /** The study's Lambda script (cloud run on the CAI pipeline, or the study's recorded results). */
  | 'study-profiler'
  /** This app's own Lambda worker (onnxruntime in Lambda): physical per rank, aggregated as the study did. */
  | 'cloud-onnx-worker';

export const PROFILER_DEFINITIONS: DefinitionsMap = {
  'total_cpu_time (seconds)': 'cpu.profiler',
  'total_cpu_memory (MB)': 'memory.profiler-alloc-sum',
  'execution_time (seconds/batch)': 'per-batch.profiler-samples-per-batch',
  throughput_bps: 'throughput.dtype-bits-profiler',
  sample_persec: 'rate.samples-profiler',
  total_bits: 'bits.throughput-x-cpu',
  inference_seconds: 'time.profiler',
};

export const PHYSICAL_DEFINITIONS: DefinitionsMap = {
  'total_cpu_time (seconds)': 'cpu.process',
  'total_cpu_memory (MB)': 'memory.peak-rss',
  'execution_time (seconds/batch)': 'per-batch.wall-ceil-batches',
  throughput_bps: 'throughput.dtype-bits-wall',
  sample_persec: 'rate.samples-wall',
  total_bits: 'bits.read-dtype',
  inference_seconds: 'time.wall',
};

export function inferDefinitions(source: RecordSource): DefinitionsMap {
  switch (source) {
    case 'study-profiler':
      return { ...PROFILER_DEFINITIONS };
    case 'local-physical':
      return { ...PHYSICAL_DEFINITIONS };
    case 'local-onnx-legacy':
      return {
        ...PHYSICAL_DEFINITIONS,
        throughput_bps: 'throughput.f32-bits-wall',
        total_bits: 'bits.throughput-x-cpu',
      };
    case 'cloud-onnx-worker':
      return {
        ...PHYSICAL_DEFINITIONS,
        throughput_bps: 'throughput.f32-bits-wall',
        total_bits: 'bits.throughput-x-cpu',
      };
  }
}

/** "label" for one number's definition, or "unknown definition". */
export function definitionLabel(id: DefinitionId | undefined): string {
  return id ? DEFINITIONS[id].label : 'unknown definition';
}

/** Bytes per element of the dtypes a partition can store. */
export const ELEMENT_BYTES = { float16: 2, float32: 4, float64: 8 } as const;
export type StoredDtype = keyof typeof ELEMENT_BYTES;

/** Image [5,32,32] and magnitude [5] elements per galaxy. */
export const IMAGE_ELEMENTS_PER_GALAXY = 5 * 32 * 32;
export const MAGNITUDE_ELEMENTS_PER_GALAXY = 5;

/**
 * Input bits per galaxy as the study counts them (`element_size() × nelement() × 8` of image and magnitude, as
 * stored): 164,160 with float64 magnitudes, 164,000 with float32.
 */
export function inputBitsPerGalaxy(dtypes: { images: StoredDtype; magnitudes: StoredDtype }): number {
  return (
    (IMAGE_ELEMENTS_PER_GALAXY * ELEMENT_BYTES[dtypes.images] +
      MAGNITUDE_ELEMENTS_PER_GALAXY * ELEMENT_BYTES[dtypes.magnitudes]) *
    8
  );
}
