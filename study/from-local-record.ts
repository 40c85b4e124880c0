import type { LocalRunRecord } from '../base/local-run-record.ts';
import type { StudyMeasurement } from './measurement.ts';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../base/metric-keys.ts';

/**
 * A local run as a study measurement. One process runs the partitions one after another, so the run-level study
 * fields are used as they are (ranks = 1): summing the partitions' throughputs would count time that overlapped
 * nothing.
 */
export function measurementFromLocalRecord(
  record: LocalRunRecord,
  tags: Partial<Pick<StudyMeasurement, 'sweep' | 'repeat' | 'partitionMb' | 'dataLabel'>> = {},
): StudyMeasurement {
  const cpu = record[CPU_TIME];
  return {
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
    totalBits: record.throughput_bps * cpu,
    rankSecondsTotal: cpu,
    rankSecondsSource: 'cpu-time',
    precision: record.model.precision,
  };
}
