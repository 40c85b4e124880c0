import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { appDataDir } from '../data-dir.ts';
import { ensureReferenceModel } from '../model/model-cache.ts';
import { ensureQuantizedModel, PRECISIONS, type Precision } from '../model/quantized-cache.ts';
import { QuantizeError } from '../model/quantize.ts';
import { inspectModel } from '../model/model-info.ts';
import { prefetchIntoPageCache } from '../data/page-cache-prefetch.ts';
import { computeAccuracy } from './accuracy.ts';
import { collectGarbage } from './collect-garbage.ts';
import { hostInfo } from './host-info.ts';
import { percentiles } from './percentiles.ts';
import { PredictionTable, type PredictionRow } from './predictions.ts';
import { defaultSampleData, openPartitions } from './partition-source.ts';
import { PHYSICAL_DEFINITIONS } from '../../base/metric-catalogue.ts';
import {
  bitsPerSampleOf,
  exactCounts,
  METRIC_DEFINITIONS,
  studyRates,
  type GraphOptimization,
  type Latency,
  type LocalRunRecord,
  type PartitionRecord,
  type RunStatus,
} from './run-record.ts';
import type { LocalRunProgress, PartitionMeasurement, WorkerInit, WorkerMessage } from './worker-protocol.ts';

export type { LocalRunProgress } from './worker-protocol.ts';

export interface LocalRunOptions {
  /** .pt files and/or folders of them; default: the bundled synthetic sample data. */
  data?: string | string[];
  /** An ONNX model; default: the reference AstroMAE model (seeded weights). */
  model?: string;
  /** Galaxies per batch; default 512, as in the study. */
  batchSize?: number;
  /** onnxruntime intra-op threads; default: physical cores. */
  threads?: number;
  graphOptimization?: GraphOptimization;
  /**
   * 'fp32' (default) runs the model as given; 'int8' runs its dynamically quantized copy (MatMul/Gemm weights int8
   * per output channel, activations quantized per batch), made on first use and cached beside the model.
   */
  precision?: Precision;
  /**
   * Let onnxruntime's idle pool threads spin between kernels (default false). Spinning saves the wake-up latency
   * of ~700 kernels per batch but burns CPU while waiting, which inflates total_cpu_time and slows other
   * processes on a busy machine.
   */
  spinning?: boolean;
  /** Where the default model and data are cached; default appDataDir(). */
  dataDir?: string;
}

export interface LocalRunHooks {
  onProgress?(p: LocalRunProgress): void;
  /** Abort = cancel: the current batch finishes, the rest is skipped, and what was computed is returned. */
  signal?: AbortSignal;
  /** Called with the inference thread once it is started (to watch it; the run terminates it before settling). */
  onWorker?(worker: Worker): void;
  /** Called with each partition's record as soon as it finishes, so a crash later still leaves it on disk. */
  onPartition?(record: PartitionRecord): void;
}

export interface LocalRunResult {
  record: LocalRunRecord;
  /** Every inferred galaxy, in dataset order. */
  predictions: PredictionRow[];
  /** The same predictions as typed-array columns (for CSV writing and large runs). */
  table: PredictionTable;
}

export type LocalRunErrorCode = 'bad-option' | 'no-data' | 'session' | 'worker';

export class LocalRunError extends Error {
  readonly code: LocalRunErrorCode;
  /** What was computed before the failure, when anything was. */
  readonly partial?: LocalRunResult;
  constructor(code: LocalRunErrorCode, message: string, partial?: LocalRunResult) {
    super(message);
    this.name = 'LocalRunError';
    this.code = code;
    this.partial = partial;
  }
}

export const DEFAULT_BATCH_SIZE = 512;
export const MAX_BATCH_SIZE = 65536;
export const MAX_THREADS = 1024;
const GRAPH_LEVELS: GraphOptimization[] = ['disabled', 'basic', 'extended', 'all'];

export interface ValidOptions {
  batchSize: number;
  threads: number;
  graphOptimization: GraphOptimization;
  precision: Precision;
  spinning: boolean;
}

/** Checks the numeric options and fills in defaults; throws LocalRunError('bad-option') with what is wrong. */
export function validateLocalRunOptions(opts: LocalRunOptions): ValidOptions {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize <= 0 || batchSize > MAX_BATCH_SIZE) {
    throw new LocalRunError(
      'bad-option',
      `batch size must be a whole number from 1 to ${MAX_BATCH_SIZE}, got ${String(opts.batchSize)}`,
    );
  }
  const threads = opts.threads ?? hostInfo().physicalCores;
  if (!Number.isInteger(threads) || threads <= 0 || threads > MAX_THREADS) {
    throw new LocalRunError('bad-option', `threads must be a whole number from 1 to ${MAX_THREADS}, got ${String(opts.threads)}`);
  }
  const graphOptimization = opts.graphOptimization ?? 'all';
  if (!GRAPH_LEVELS.includes(graphOptimization)) {
    throw new LocalRunError(
      'bad-option',
      `graph optimisation must be one of ${GRAPH_LEVELS.join(', ')}, got ${String(opts.graphOptimization)}`,
    );
  }
  const precision = opts.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision)) {
    throw new LocalRunError('bad-option', `precision must be one of ${PRECISIONS.join(', ')}, got ${String(opts.precision)}`);
  }
  if (opts.spinning !== undefined && typeof opts.spinning !== 'boolean') {
    throw new LocalRunError('bad-option', `spinning must be true or false, got ${String(opts.spinning)}`);
  }
  return { batchSize, threads, graphOptimization, precision, spinning: opts.spinning ?? false };
}

const newRunId = (started: Date) =>
  `local-${started.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;

/** How long to wait for the current batch after a cancel before the worker is terminated outright. */
function cancelGraceMs(slowestBatchMs: number): number {
  return Math.max(10_000, 3 * slowestBatchMs + 10_000);
}

/**
 * Runs the model over the dataset on the CPU in a worker thread and returns the run record and predictions.
 * Rejects with LocalRunError / ModelError / PtFormatError when the run cannot start; a partition that fails to
 * load is recorded as failed and the others go on; a worker that dies rejects with LocalRunError('worker'),
 * carrying what was computed in `partial`.
 */
export async function runLocal(opts: LocalRunOptions = {}, hooks: LocalRunHooks = {}): Promise<LocalRunResult> {
  const started = new Date();
  const t0 = performance.now();
  const valid = validateLocalRunOptions(opts);
  const dataDir = opts.dataDir ?? appDataDir();

  const spec = opts.data === undefined ? [await defaultSampleData(dataDir)] : Array.isArray(opts.data) ? opts.data : [opts.data!];
  if (spec.length === 0) throw new LocalRunError('no-data', 'no data given: pass one or more .pt files or folders');
  const modelPath = opts.model ?? (await ensureReferenceModel(dataDir));
  const model = await inspectModel(modelPath);
  let runModelPath = modelPath;
  if (valid.precision === 'int8') {
    try {
      runModelPath = await ensureQuantizedModel(modelPath, path.join(dataDir, 'models', 'int8'));
    } catch (err) {
      if (err instanceof QuantizeError) throw new LocalRunError('bad-option', `precision int8: ${err.message}`);
      throw err;
    }
  }
  const dataset = await openPartitions(spec);
  if (dataset.partitions.length === 0) {
    throw new LocalRunError('no-data', `no .pt partitions found in ${spec.join(', ')}`);
  }
  // Into the page cache while the worker and its session start (see page-cache-prefetch.ts).
  const warmFirst = dataset.partitions.length > 0 ? prefetchIntoPageCache(dataset.partitions[0].path) : null;
  collectGarbage(); // the model file inspected (and quantized) above: ~63 MB that would otherwise count in peak RSS
  const allRefs = [...dataset.partitions, ...dataset.unreadable.map((u) => u.ref)].sort((a, b) => a.index - b.index);
  const bitsPerSample = new Map(dataset.partitions.map((p) => [p.index, bitsPerSampleOf(p.dtypes)]));

  const cancelFlag = new SharedArrayBuffer(4);
  const init: WorkerInit = {
    modelPath: runModelPath,
    binding: model.binding,
    partitions: dataset.partitions,
    partitionCount: allRefs.length,
    batchSize: valid.batchSize,
    threads: valid.threads,
    graphOptimization: valid.graphOptimization,
    spinning: valid.spinning,
    cancelFlag,
  };

  const measurements = new Map<number, PartitionMeasurement>();
  for (const u of dataset.unreadable) {
    measurements.set(u.ref.index, { ...skipped(u.ref.index, u.ref.path, 0), status: 'failed', error: u.error });
  }
  const pieces = new Map<number, PredictionTable>();
  let sessionSeconds = 0;
  let sessionRss = 0;
  // Dataset position of each partition's first galaxy, from the headers.
  const offsets = new Map<number, number>();
  let acc = 0;
  for (const p of dataset.partitions) {
    offsets.set(p.index, acc);
    acc += p.samples;
  }

  const finish = (status: RunStatus, error: string | null): LocalRunResult => {
    const partitions = allRefs.map((ref) => measurements.get(ref.index) ?? skipped(ref.index, ref.path, ref.samples));
    const table = PredictionTable.concat(allRefs.flatMap((ref) => pieces.get(ref.index) ?? []));
    const labelled = table.labelled();
    const record = buildRecord({
      started,
      wallSeconds: (performance.now() - t0) / 1000,
      status,
      error,
      sessionSeconds,
      sessionRss,
      valid,
      model: { ...model, path: modelPath, label: model.label ?? path.basename(modelPath) },
      dataset: {
        spec, files: allRefs.map((p) => p.path), samples: dataset.samples, bytes: dataset.bytes, synthetic: dataset.synthetic,
      },
      partitions,
      accuracy: labelled.zTrue.length > 0 ? computeAccuracy(labelled.zTrue, labelled.zPred) : null,
      bitsPerSample,
    });
    return { record, predictions: table.toRows(), table };
  };

  hooks.onProgress?.({
    phase: 'session', partition: 0, partitions: allRefs.length, batchesDone: 0,
    batchesTotal: dataset.partitions.reduce((s, p) => s + Math.ceil(p.samples / valid.batchSize), 0),
    samplesDone: 0, samplesTotal: dataset.samples, samplesPerSec: 0, etaSeconds: null,
  });
  const worker = new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), { workerData: init });
  hooks.onWorker?.(worker);
  return await new Promise<LocalRunResult>((resolve, reject) => {
    let settled = false;
    let cancelledByCaller = false;
    let slowestBatchMs = 0;
    let inferring = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let exited = false;
    let afterExit: (() => void) | undefined;

    // Resolve or reject only once the thread is gone, so nothing of the run outlives the promise.
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      warmFirst?.cancel();
      clearTimeout(graceTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      if (exited) fn();
      else {
        afterExit = fn;
        void worker.terminate();
      }
    };

    const onAbort = () => {
      cancelledByCaller = true;
      Atomics.store(new Int32Array(cancelFlag), 0, 1);
      if (!inferring) {
        // Session creation or loading: nothing to keep yet that the worker would still add.
        settle(() => resolve(finish('cancelled', null)));
        return;
      }
      graceTimer = setTimeout(() => settle(() => resolve(finish('cancelled', 'the current batch did not finish in time after cancel; the worker was stopped'))), cancelGraceMs(slowestBatchMs));
    };

    worker.on('message', (msg: WorkerMessage) => {
      switch (msg.type) {
        case 'ready':
          sessionSeconds = msg.sessionSeconds;
          sessionRss = msg.rssBytes;
          break;
        case 'progress':
          inferring = true;
          hooks.onProgress?.(msg.progress);
          break;
        case 'partition': {
          const m = msg.measurement;
          measurements.set(m.partition, m);
          for (const ms of m.batchMs) slowestBatchMs = Math.max(slowestBatchMs, ms);
          hooks.onPartition?.(partitionRecordOf(m, valid.batchSize, bitsPerSample.get(m.partition)));
          if (m.samples > 0) {
            const offset = offsets.get(m.partition) ?? 0;
            pieces.set(
              m.partition,
              new PredictionTable({
                index: Int32Array.from({ length: m.samples }, (_, i) => offset + i),
                partition: new Int32Array(m.samples).fill(m.partition),
                zTrue: msg.zTrue ?? new Float32Array(m.samples).fill(Number.NaN),
                zPred: msg.zPred,
              }),
            );
          }
          break;
        }
        case 'done': {
          const cancelled = msg.cancelled || cancelledByCaller;
          const all = [...measurements.values()];
          const failed = all.filter((m) => m.status === 'failed');
          const ran = all.filter((m) => m.status === 'completed' || m.status === 'cancelled');
          let status: RunStatus = cancelled ? 'cancelled' : 'completed';
          let error: string | null = null;
          if (failed.length > 0) {
            error = `${failed.length} of ${all.length} partition(s) failed: ` + failed.map((m) => m.error).join('; ');
            if (ran.length === 0 && !cancelled) status = 'failed';
          }
          settle(() => resolve(finish(status, error)));
          break;
        }
        case 'fatal': {
          const started = measurements.size > 0;
          const err = started
            ? new LocalRunError('worker', `local run failed: ${msg.message}`, finish('failed', msg.message))
            : new LocalRunError('session', `cannot run ${modelPath} with onnxruntime: ${msg.message}`);
          settle(() => reject(err));
          break;
        }
      }
    });
    worker.on('error', (err) => {
      const message = `the inference worker crashed: ${err.message}`;
      settle(() => reject(new LocalRunError('worker', message, finish('failed', message))));
    });
    worker.on('exit', (code) => {
      exited = true;
      if (afterExit) return afterExit();
      const message = `the inference worker exited unexpectedly (exit code ${code}) before finishing the run`;
      settle(() => reject(new LocalRunError('worker', message, finish('failed', message))));
    });

    if (hooks.signal?.aborted) onAbort();
    else hooks.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function skipped(partition: number, path: string, samples: number): PartitionMeasurement {
  return {
    partition, path, status: 'skipped', samplesInFile: samples, samples: 0, batches: 0, inferenceSeconds: 0,
    loadSeconds: 0, cpuSeconds: 0, peakRssBytes: 0, batchMs: [], nanInputs: 0, infInputs: 0, error: null,
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
  sessionRss: number;
  valid: ValidOptions;
  model: { path: string; label: string; reference: boolean; parameters: number; flopsPerSample: number | null };
  dataset: LocalRunRecord['dataset'];
  partitions: PartitionMeasurement[];
  accuracy: LocalRunRecord['accuracy'];
  /** Input bits per galaxy per partition index, from the stored dtypes; 164,000 (float32) when absent. */
  bitsPerSample?: Map<number, number>;
}

/** One partition's study fields from the worker's raw measurement. */
export function partitionRecordOf(m: PartitionMeasurement, batchSize: number, bitsPerSample?: number): PartitionRecord {
  const measured = {
    samples: m.samples, batches: m.batches, inferenceSeconds: m.inferenceSeconds, cpuSeconds: m.cpuSeconds, peakRssBytes: m.peakRssBytes,
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
    max_rss_mb: Math.max(process.resourceUsage().maxRSS / 1024, peakRss / (1 << 20)),
    options: {
      batchSize: r.valid.batchSize,
      threads: r.valid.threads,
      interOpThreads: 1,
      graphOptimization: r.valid.graphOptimization,
      executionMode: 'sequential',
      spinning: r.valid.spinning,
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
  };
}
