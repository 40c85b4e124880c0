import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderSource } from '../../study/import/object-source.ts';
import { importRecordedRuns, measurementFromRecorded } from '../../study/import/recorded-runs.ts';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { summarizeFindings } from '../../study/summary.ts';

describe('automatic summary of findings', async () => {
  const imported = await importRecordedRuns(folderSource(path.resolve('tests/fixtures/recorded-results')));
  const runs = imported.runs.map((r) => measurementFromRecorded(r, 2048));

  it('reads the recorded fixture in plain sentences with hand-checked numbers', () => {
    const s = summarizeFindings(runs);
    expect(s).toEqual([
      // batch 32: (0.16 + 0.17)/2 = 0.165 s; batch 64: 0.29 s; throughput 37 vs 46 Mbps
      'Cloud: execution time per batch goes from 0.165 s at batch 32 to 0.29 s at batch 64; throughput is highest at batch 64 (46 Mbps).',
      // total (12.6 GB): 50 MB 0.128 Gbps over 5 ranks, 100 MB 0.067 Gbps
      'With total of data, 50 MB partitions give the highest throughput (0.128 Gbps over 5 ranks) and 100 MB the lowest (0.067 Gbps).',
      // 50 MB: 0.056 Gbps at 1 GB, 0.128 at 12.6 GB
      'With 50 MB partitions, throughput goes from 0.056 Gbps at 1 GB to 0.128 Gbps at 12.6 GB (2.29×).',
      // 50 MB: 91 s × 2 GB × 0.0000166667 + 5e-7 × 0.2 ≈ $0.0030; 100 MB: 100 GB-s ≈ $0.0017
      'One execution over total costs from $0.0017 (100 MB partitions) to $0.0030 (50 MB) in Lambda compute and requests.',
      // batch 32: 0.16 and 0.17 → sd 0.00707 / 0.165 = 4.3%; 25 MB 1GB data: 2.1333 and 2.0667 → 2.2%
      'Repeats of one configuration differ by up to 4% in execution time per batch (sample sd ÷ mean).',
    ]);
  });

  it('never averages fp32 and int8 runs: one sentence per precision, and repeats compared within a precision', () => {
    const local = (
      batchSize: number,
      secondsPerBatch: number,
      mbps: number,
      precision?: 'fp32' | 'int8',
      repeat = 1,
    ): StudyMeasurement => ({
      ...runs[0],
      target: 'local',
      sweep: 'batch-size',
      batchSize,
      repeat,
      secondsPerBatch,
      throughputBps: mbps * 1e6,
      ...(precision ? { precision } : {}),
    });
    const s = summarizeFindings([
      local(32, 1, 10),
      local(64, 2, 12, 'fp32'),
      local(32, 0.4, 30, 'int8'),
      local(32, 0.4, 30, 'int8', 2),
      local(64, 0.6, 40, 'int8'),
    ]);
    expect(s).toEqual([
      'Local: execution time per batch goes from 1 s at batch 32 to 2 s at batch 64; throughput is highest at batch 64 (12 Mbps).',
      'Local (int8): execution time per batch goes from 0.4 s at batch 32 to 0.6 s at batch 64; throughput is highest at batch 64 (40 Mbps).',
      // batch 32 at fp32 (1 s) and int8 (0.4 s) are different configurations: the int8 repeats agree exactly.
      'Repeats of one configuration differ by up to 0% in execution time per batch (sample sd ÷ mean).',
    ]);
  });

  it('says when there is nothing to spread', () => {
    const one: StudyMeasurement = { ...runs[0], target: 'local', sweep: 'batch-size' };
    expect(summarizeFindings([one])).toEqual([
      'Each configuration ran once, so there is no spread between repeats to report.',
    ]);
    expect(summarizeFindings([])).toEqual([]);
  });
});
