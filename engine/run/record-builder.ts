import { randomBytes } from 'node:crypto';
import { PHYSICAL_DEFINITIONS } from '../../base/metric-catalogue.ts';
import {
  bitsPerSampleOf,
  exactCounts,
  METRIC_DEFINITIONS,
  studyRates,
  type Latency,
  type LocalRunRecord,
  type PartitionRecord,
  type RunStatus,
} from '../../base/local-run-record.ts';
import { computeAccuracy } from './accuracy.ts';
import { hostInfo } from './host-info.ts';
import type { PredictionTable } from './predictions.ts';
import type { ValidOptions } from './local-run-options.ts';
import { percentiles } from './percentiles.ts';
import type { PartitionMeasurement } from './worker-protocol.ts';
import type { TuningRecord } from '../../base/tuning-record.ts';

/** The local run record (per partition and for the run) from the worker's raw measurements. */

/** The record's dataset block and accuracy, as both engines (onnxruntime worker, PyTorch runner) derive them. */
export function datasetAndAccuracy(
  spec: string[],
  files: Array<{ path: string }>,
  dataset: { samples: number; bytes: number; synthetic: boolean },
  table: PredictionTable,
): { dataset: LocalRunRecord['dataset']; accuracy: LocalRunRecord['accuracy'] } {
  const labelled = table.labelled();
  return {
    dataset: {
      spec,
      files: files.map((p) => p.path),
      samples: dataset.samples,
      bytes: dataset.bytes,
      synthetic: dataset.synthetic,
    },
    accuracy: labelled.zTrue.length > 0 ? computeAccuracy(labelled.zTrue, labelled.zPred) : null,
  };
}

const newRunId = (started: Date) =>
  `local-${started
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;

/** A partition that did not run (not reached, or unreadable). */
export function skipped(partition: number, path: string, samples: number): PartitionMeasurement {
  return {
    partition,
    path,
    status: 'skipped',
    samplesInFile: samples,
    samples: 0,
    batches: 0,
    inferenceSeconds: 0,
    loadSeconds: 0,
    cpuSeconds: 0,
    peakRssBytes: 0,
    batchMs: [],
    nanInputs: 0,
    infInputs: 0,
    error: null,
  };
}

function latency(batchMs: number[]): Latency | null {
  if (batchMs.length === 0) return null;
  const [p50, p90, p99] = percentiles(batchMs, [50, 90, 99]);
  return { p50, p90, p99 };
}

interface RecordInputs {
  started: Date;
  wallSeconds: number;
  status: RunStatus;
  error: string | null;
  sessionSeconds: number;
  /** Run start to session ready (startup_seconds); absent when the session never became ready. */
  startupSeconds?: number;
  sessionRss: number;
  valid: ValidOptions;
  model: { path: string; label: string; reference: boolean; parameters: number; flopsPerSample: number | null };
  dataset: LocalRunRecord['dataset'];
  partitions: PartitionMeasurement[];
  accuracy: LocalRunRecord['accuracy'];
  /** Input bits per galaxy per partition index, from the stored dtypes; 164,000 (float32) when absent. */
  bitsPerSample?: Map<number, number>;
  /** Host tuning's choice (tune 'auto'); the run used its settings. */
  tuning?: TuningRecord;
}

/** One partition's study fields from the worker's raw measurement. */
export function partitionRecordOf(m: PartitionMeasurement, batchSize: number, bitsPerSample?: number): PartitionRecord {
  const measured = {
    samples: m.samples,
    batches: m.batches,
    inferenceSeconds: m.inferenceSeconds,
    cpuSeconds: m.cpuSeconds,
    peakRssBytes: m.peakRssBytes,
    bits: m.samples * (bitsPerSample ?? bitsPerSampleOf(undefined)),
  };
  return {
    partition: m.partition,
    status: m.status,
    ...studyRates(measured),
    ...exactCounts(measured, batchSize),
    batch_size: batchSize,
    device: 'cpu',
    data_path: m.path,
    samples: m.samples,
    samples_in_file: m.samplesInFile,
    inference_seconds: m.inferenceSeconds,
    load_seconds: m.loadSeconds,
    latency_ms: latency(m.batchMs),
    nan_inputs: m.nanInputs,
    inf_inputs: m.infInputs,
    error: m.error,
  };
}

/** Derives the study fields (per partition and for the run) from the worker's raw measurements. */
export function buildRecord(r: RecordInputs): LocalRunRecord {
  const device = 'cpu';
  const bitsOf = (m: PartitionMeasurement) => r.bitsPerSample?.get(m.partition);
  const parts: PartitionRecord[] = r.partitions.map((m) => partitionRecordOf(m, r.valid.batchSize, bitsOf(m)));
  const sum = (f: (m: PartitionMeasurement) => number) => r.partitions.reduce((s, m) => s + f(m), 0);
  const peakRss = Math.max(r.sessionRss, ...r.partitions.map((m) => m.peakRssBytes));
  const run = {
    samples: sum((m) => m.samples),
    batches: sum((m) => m.batches),
    inferenceSeconds: sum((m) => m.inferenceSeconds),
    cpuSeconds: sum((m) => m.cpuSeconds),
    peakRssBytes: peakRss,
    bits: sum((m) => m.samples * (bitsOf(m) ?? bitsPerSampleOf(undefined))),
  };
  const finished = new Date(r.started.getTime() + r.wallSeconds * 1000);
  const tuned = r.tuning?.result.settings;
  const tuning: TuningRecord | undefined = r.tuning && {
    ...r.tuning,
    spinOverheadCpuSeconds:
      tuned?.spinning && r.tuning.result.spinOverheadCpuMsPerGalaxy !== null
        ? (r.tuning.result.spinOverheadCpuMsPerGalaxy * run.samples) / 1000
        : null,
  };
  return {
    id: newRunId(r.started),
    kind: 'local',
    status: r.status,
    started: r.started.toISOString(),
    finished: finished.toISOString(),
    ...studyRates(run),
    ...exactCounts(run, r.valid.batchSize),
    batch_size: r.valid.batchSize,
    device,
    data_path: r.dataset.spec.join(', '),
    samples: run.samples,
    inference_seconds: run.inferenceSeconds,
    load_seconds: sum((m) => m.loadSeconds),
    latency_ms: latency(r.partitions.flatMap((m) => m.batchMs)),
    nan_inputs: sum((m) => m.nanInputs),
    inf_inputs: sum((m) => m.infInputs),
    wall_seconds: r.wallSeconds,
    session_seconds: r.sessionSeconds,
    ...(r.startupSeconds !== undefined ? { startup_seconds: r.startupSeconds } : {}),
    max_rss_mb: Math.max(process.resourceUsage().maxRSS / 1024, peakRss / (1 << 20)),
    options: {
      batchSize: r.valid.batchSize,
      threads: tuned?.threads ?? r.valid.threads,
      interOpThreads: 1,
      graphOptimization: r.valid.graphOptimization,
      executionMode: 'sequential',
      spinning: tuned?.spinning ?? r.valid.spinning,
      ...(tuned ? { galaxiesPerSessionRun: tuned.slice } : {}),
      ...(r.valid.geluApproximation ? { gelu: 'tanh' as const } : {}),
    },
    model: {
      path: r.model.path,
      label: r.model.label,
      reference: r.model.reference,
      parameters: r.model.parameters,
      flopsPerSample: r.model.flopsPerSample,
      precision: r.valid.precision,
    },
    dataset: r.dataset,
    partitions: parts,
    accuracy: r.accuracy,
    host: hostInfo(),
    error: r.error,
    metricDefinitions: METRIC_DEFINITIONS,
    definitions: { ...PHYSICAL_DEFINITIONS },
    engine: 'onnxruntime',
    ...(tuning ? { tuning } : {}),
  };
}
