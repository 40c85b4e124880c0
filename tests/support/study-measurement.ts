import type { StudyMeasurement } from '../../study/measurement.ts';

/**
 * A cloud data-size measurement with round numbers (1 s per batch, 1 Gbps, 2048 MB, 100 rank-seconds billed, 4 ranks),
 * for table tests that compute their expected values by hand; `over` sets what a case is about.
 */
export const cloudMeasurement = (over: Partial<StudyMeasurement> = {}): StudyMeasurement => ({
  id: 'r',
  target: 'cloud',
  sweep: 'data-size',
  batchSize: 512,
  partitionMb: 25,
  dataLabel: '1GB',
  repeat: 1,
  ranks: 4,
  secondsPerBatch: 1,
  throughputBps: 1e9,
  memoryMb: 2048,
  cpuTimeSeconds: 1,
  samplesPerSec: 1,
  totalBits: 1,
  rankSecondsTotal: 100,
  rankSecondsSource: 'billed',
  ...over,
});

/**
 * A local measurement with round numbers (1 s per batch, 1 Mbps, 1024 MB, batch 32, 1 rank) and no sweep, for table
 * tests that compute their expected values by hand; `over` sets what a case is about.
 */
export const localMeasurement = (over: Partial<StudyMeasurement> = {}): StudyMeasurement => ({
  id: 'r',
  target: 'local',
  batchSize: 32,
  partitionMb: null,
  dataLabel: null,
  repeat: 1,
  ranks: 1,
  secondsPerBatch: 1,
  throughputBps: 1e6,
  memoryMb: 1024,
  cpuTimeSeconds: 1,
  samplesPerSec: 1,
  totalBits: 1e6,
  rankSecondsTotal: 1,
  rankSecondsSource: 'cpu-time',
  ...over,
});
