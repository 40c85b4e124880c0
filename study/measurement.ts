import { type Precision } from '../base/options.ts';
import type { DefinitionsMap } from '../base/metric-catalogue.ts';
import type { ColdWarm } from './cold-warm.ts';

/**
 * One run (one repeat of one configuration), reduced to what the study's tables and comparison need. Local run
 * records and imported/cloud results are both turned into this, so the tables do not care where a run came from.
 */
export interface StudyMeasurement {
  /** Run id, or the recorded folder for imports. */
  id: string;
  target: 'local' | 'cloud';
  /** Which sweep the run belongs to: batch-size runs feed Table 1, data-size runs Tables 2 and 3. */
  sweep?: 'batch-size' | 'data-size';
  batchSize: number;
  /** Partition size in MB (2^20 bytes); null when the run did not use the study's partitions. */
  partitionMb: number | null;
  /** The data folder label, e.g. "1GB" or "total"; null when not known. */
  dataLabel: string | null;
  repeat: number;
  /** Ranks (workers, Lambdas) in the run. */
  ranks: number;
  /**
   * Cloud runs with several executions (failed ranks re-run): every inference Lambda invocation of all of them, from
   * their REPORT lines (failed attempts included); the requests billed. Absent otherwise: one request per rank.
   */
  invocations?: number;
  /** The most ranks running at once, from the cloud run's rank timeline; absent without one. */
  measuredPeakConcurrency?: number;
  /** Mean over ranks of `execution_time (seconds/batch)`. */
  secondsPerBatch: number;
  /** Σ over ranks of `throughput_bps`. */
  throughputBps: number;
  /** Σ over ranks of `total_cpu_memory (MB)`. */
  memoryMb: number;
  /** Mean of the ranks' `total_cpu_time (seconds)` after dropping 1.5×IQR outliers. */
  cpuTimeSeconds: number;
  /** Σ over ranks of `sample_persec`. */
  samplesPerSec: number;
  /** Σ over ranks of throughput × CPU time. */
  totalBits: number;
  /** Σ over ranks of their duration: billed duration when REPORT lines are known, else each rank's CPU time. */
  rankSecondsTotal: number;
  rankSecondsSource: 'billed' | 'cpu-time';
  /** Cloud: the state-machine execution's wall time, start to stop (s); absent when not known. */
  executionSeconds?: number;
  /** Configured Lambda memory, for cloud runs whose profile is known. */
  lambdaMemoryMb?: number;
  /**
   * Where lambdaMemoryMb came from: 'report' = the REPORT lines' Memory Size (the function's configured memory when
   * it ran), 'profile' = the profile's setting, assumed because this execution's REPORT lines were not found,
   * 'configured' = the memory a memory sweep set before the execution (its REPORT lines were not found).
   */
  lambdaMemorySource?: 'report' | 'profile' | 'configured';
  /** A memory sweep's job whose REPORT lines disagree with the memory the sweep set says so here. */
  lambdaMemoryNote?: string;
  /** The local model's precision; absent for cloud and recorded runs, which run the model as exported (fp32). */
  precision?: Precision;
  /** The inference engine; absent when not known. */
  engine?: 'onnxruntime' | 'pytorch';
  /** The model, by file name (or 'reference model'); absent when not known. */
  model?: string;
  /** Per number, the catalogue definition that produced it (base/metric-catalogue.ts); absent when not known. */
  definitions?: DefinitionsMap;
  /** The physical peak memory of one worker (peak RSS, or Lambda Max Memory Used), MB; absent when not measured. */
  physicalMemoryMbPerWorker?: number;
  /** A cloud run made on the local emulator (this computer), not on AWS. */
  emulated?: boolean;
  /** Cloud runs: the ranks split into cold and warm starts (study/cold-warm.ts); absent without REPORT lines. */
  coldWarm?: ColdWarm;
  /** The same run under the study's profiler definitions, when it recorded them too (local PyTorch runs). */
  studyFamily?: StudyMeasurement;
}

/** A run's precision for grouping and labels: a missing one is fp32 (cloud, recorded and older local runs). */
export const precisionOf = (m: Pick<StudyMeasurement, 'precision'>): Precision => m.precision ?? 'fp32';
