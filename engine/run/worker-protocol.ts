import type { PartitionRef } from '../data/types.ts';
import type { GraphOptimization, PartitionStatus } from '../../base/local-run-record.ts';
import type { TuningRecord } from '../../base/tuning-record.ts';
import type { WorkerTuneInit } from './worker-tuning.ts';

/** What the inference worker is started with (workerData). Everything here is structured-cloneable. */
export interface WorkerInit {
  modelPath: string;
  /** Input/output names of the model, as matched by inspectModel. */
  binding: { image: string; magnitude: string; output: string };
  /** The partitions to stream (unreadable files are left out and recorded by the caller). */
  partitions: PartitionRef[];
  /** All partitions of the dataset, for progress (i of k). */
  partitionCount: number;
  batchSize: number;
  threads: number;
  graphOptimization: GraphOptimization;
  /** onnxruntime's session.intra_op.allow_spinning. */
  spinning: boolean;
  /** GELU in its tanh form (onnxruntime's gelu approximation); the int8 path's default. */
  geluApproximation: boolean;
  /** Host tuning ('auto'): threads, slice and spinning from the cache or a calibration; null runs as given. */
  tune: WorkerTuneInit | null;
  /** Int32Array[1] over this buffer: the caller stores 1 to cancel; the worker checks it before every batch. */
  cancelFlag: SharedArrayBuffer;
}

export interface LocalRunProgress {
  phase: 'session' | 'loading' | 'inferring';
  /** 1-based partition being worked on, of `partitions`. */
  partition: number;
  partitions: number;
  batchesDone: number;
  batchesTotal: number;
  samplesDone: number;
  samplesTotal: number;
  /** Galaxies per second of inference wall time so far; 0 before the first batch. */
  samplesPerSec: number;
  /** Remaining galaxies / samplesPerSec; null until a rate is known. */
  etaSeconds: number | null;
}

/** Raw per-partition measurements taken in the worker. */
export interface PartitionMeasurement {
  partition: number;
  path: string;
  status: PartitionStatus;
  samplesInFile: number;
  samples: number;
  batches: number;
  inferenceSeconds: number;
  loadSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  batchMs: number[];
  nanInputs: number;
  infInputs: number;
  error: string | null;
}

export type WorkerMessage =
  | { type: 'ready'; sessionSeconds: number; rssBytes: number }
  /** Host tuning's choice, before the run's session is created. */
  | { type: 'tuning'; tuning: TuningRecord }
  | { type: 'progress'; progress: LocalRunProgress }
  | {
      type: 'partition';
      measurement: PartitionMeasurement;
      /** Predictions for the first `measurement.samples` galaxies of the partition. */
      zPred: Float32Array;
      /** Labels for the same galaxies, or null when the file has none. */
      zTrue: Float32Array | null;
    }
  | { type: 'done'; cancelled: boolean }
  | { type: 'fatal'; message: string };
