import path from 'node:path';
import { inferDefinitions, PROFILER_DEFINITIONS } from '../base/metric-catalogue.ts';
import { INPUT_BITS_PER_SAMPLE, type LocalRunRecord } from '../base/local-run-record.ts';
import type { StudyMeasurement } from './measurement.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../base/metric-keys.ts';

/** A local run's model for like-with-like checks: the reference model, or the model file's name. */
export function localModelName(record: LocalRunRecord): string {
  return record.model.reference ? 'reference model' : path.basename(record.model.path);
}

/**
 * A local run as a study measurement. One process runs the partitions one after another, so the run-level study
 * fields are used as they are (ranks = 1): summing the partitions' throughputs would count time that overlapped
 * nothing. A PyTorch run also carries its torch-profiler numbers as `studyFamily`, for comparison with the study's.
 */
export function measurementFromLocalRecord(
  record: LocalRunRecord,
  tags: Partial<Pick<StudyMeasurement, 'sweep' | 'repeat' | 'partitionMb' | 'dataLabel'>> = {},
): StudyMeasurement {
  const cpu = record[CPU_TIME];
  // Bits actually read; older records without total_bits read float32 inputs as far as they knew (164,000/galaxy).
  const totalBits = record.total_bits ?? record.samples * INPUT_BITS_PER_SAMPLE;
  const definitions = record.definitions ?? inferDefinitions('local-onnx-legacy');
  const base: StudyMeasurement = {
    id: record.id,
    target: 'local',
    sweep: tags.sweep,
    batchSize: record.batch_size,
    partitionMb: tags.partitionMb ?? null,
    dataLabel: tags.dataLabel ?? null,
    repeat: tags.repeat ?? 1,
    ranks: 1,
    secondsPerBatch: record[EXECUTION_TIME],
    throughputBps: record.throughput_bps,
    memoryMb: record[CPU_MEMORY],
    cpuTimeSeconds: cpu,
    samplesPerSec: record.sample_persec,
    totalBits,
    rankSecondsTotal: cpu,
    rankSecondsSource: 'cpu-time',
    precision: record.model.precision,
    engine: record.engine ?? 'onnxruntime',
    model: localModelName(record),
    definitions,
    ...(definitions['total_cpu_memory (MB)'] === 'memory.peak-rss'
      ? { physicalMemoryMbPerWorker: record['total_cpu_memory (MB)'] }
      : {}),
  };
  const sp = record.study_profiler;
  if (!sp) return base;
  return {
    ...base,
    studyFamily: {
      ...base,
      secondsPerBatch: sp['execution_time (seconds/batch)'],
      throughputBps: sp.throughput_bps,
      memoryMb: sp['total_cpu_memory (MB)'],
      cpuTimeSeconds: sp['total_cpu_time (seconds)'],
      samplesPerSec: sp.sample_persec,
      rankSecondsTotal: sp['total_cpu_time (seconds)'],
      definitions: { ...PROFILER_DEFINITIONS, total_bits: 'bits.read-dtype' },
    },
  };
}
