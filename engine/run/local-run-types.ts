import type { Worker } from 'node:worker_threads';
import type { GraphOptimization, LocalRunRecord, PartitionRecord } from '../../base/local-run-record.ts';
import type { Precision } from '../../base/options.ts';
import type { TuneMode } from '../../base/tuning-record.ts';
import type { PredictionRow, PredictionTable } from './predictions.ts';
import type { LocalRunProgress } from './worker-protocol.ts';

/** What a local run takes, what it gives back, and how it fails. */

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
  /**
   * 'auto': pick threads (unless given), galaxies per session.run and spinning (unless given) for this host and
   * model by a short calibration (a few seconds, once: cached per host, model and precision under
   * `<dataDir>/tuning/`); the record's `tuning` says what was chosen and why. 'off' (default): the engine's fixed
   * settings (physical cores, 16-galaxy runs, spinning off), so runs stay comparable whatever the host's load was
   * when a calibration ran (docs/benchmarks.md, "Host tuning").
   */
  tune?: TuneMode;
  /**
   * int8 only: 'tanh' (default) runs GELU in its tanh form (onnxruntime's FastGelu), 1–11% less CPU per galaxy on an
   * AVX2 host with max |Δz| and the accuracy metrics within the int8 budget; 'erf' keeps the exact form.
   */
  int8Gelu?: 'tanh' | 'erf';
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
