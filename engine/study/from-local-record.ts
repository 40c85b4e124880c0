import { INPUT_BITS_PER_SAMPLE, type LocalRunRecord } from '../run/run-record.ts';
import type { StudyMeasurement } from './measurement.ts';

/**
 * A local run as a study measurement. One process runs the partitions one after another, so the run-level study
 * fields are used as they are (ranks = 1): summing the partitions' throughputs would count time that overlapped
 * nothing.
 */
export function measurementFromLocalRecord(
  record: LocalRunRecord,
  tags: Partial<Pick<StudyMeasurement, 'sweep' | 'repeat' | 'partitionMb' | 'dataLabel'>> = {},
): StudyMeasurement {
  const cpu = record['total_cpu_time (seconds)'];
  return {
    id: record.id,
    target: 'local',
    sweep: tags.sweep,
    batchSize: record.batch_size,
    partitionMb: tags.partitionMb ?? null,
    dataLabel: tags.dataLabel ?? null,
    repeat: tags.repeat ?? 1,
    ranks: 1,
    secondsPerBatch: record['execution_time (seconds/batch)'],
    throughputBps: record.throughput_bps,
    memoryMb: record['total_cpu_memory (MB)'],
    cpuTimeSeconds: cpu,
    samplesPerSec: record.sample_persec,
    // Bits actually read; older records without total_bits read float32 inputs as far as they knew (164,000/galaxy).
    totalBits: record.total_bits ?? record.samples * INPUT_BITS_PER_SAMPLE,
    rankSecondsTotal: cpu,
    rankSecondsSource: 'cpu-time',
    precision: record.model.precision,
  };
}
