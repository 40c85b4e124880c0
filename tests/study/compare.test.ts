import { describe, expect, it } from 'vitest';
import { compareRuns, comparisonNote, precisionLabel } from '../../study/compare.ts';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { PHYSICAL_DEFINITIONS, PROFILER_DEFINITIONS } from '../../base/metric-catalogue.ts';

const base: StudyMeasurement = {
  id: 'x',
  target: 'local',
  batchSize: 512,
  partitionMb: 25,
  dataLabel: '1GB',
  repeat: 1,
  ranks: 1,
  secondsPerBatch: 1,
  throughputBps: 1e6,
  memoryMb: 1000,
  cpuTimeSeconds: 10,
  samplesPerSec: 100,
  totalBits: 1e7,
  rankSecondsTotal: 10,
  rankSecondsSource: 'cpu-time',
  engine: 'onnxruntime',
  model: 'astromae.onnx',
  definitions: PHYSICAL_DEFINITIONS,
};

describe('comparison notes', () => {
  const lower = { lowerIsBetter: true, better: 'faster' };
  const higher = { lowerIsBetter: false, better: 'higher throughput' };

  it('says how much faster the lower time is, as a share of the slower one', () => {
    // (5 − 2.9) / 5 = 42%
    expect(comparisonNote(lower, { label: 'local', value: 5 }, { label: 'cloud', value: 2.9 })).toBe(
      'cloud 42% faster',
    );
    expect(comparisonNote(lower, { label: 'cloud', value: 2.9 }, { label: 'local', value: 5 })).toBe(
      'cloud 42% faster',
    );
  });

  it('uses a ratio from 2× up for higher-is-better, a percentage below', () => {
    expect(comparisonNote(higher, { label: 'local', value: 47 }, { label: 'cloud', value: 10 })).toBe(
      'local 4.7× higher throughput',
    );
    expect(comparisonNote(higher, { label: 'local', value: 12 }, { label: 'cloud', value: 10 })).toBe(
      'local 20% higher throughput',
    );
  });

  it('calls near-equal values the same and refuses non-numbers', () => {
    expect(comparisonNote(lower, { label: 'a', value: 100 }, { label: 'b', value: 99.5 })).toBe('about the same');
    expect(comparisonNote(lower, { label: 'a', value: NaN }, { label: 'b', value: 1 })).toBe('not comparable');
    expect(comparisonNote(higher, { label: 'a', value: 0 }, { label: 'b', value: 1 })).toBe('a measured 0');
  });
});

describe('compareRuns', () => {
  const local: StudyMeasurement = {
    ...base,
    secondsPerBatch: 5,
    throughputBps: 47e6,
    cpuTimeSeconds: 40,
    memoryMb: 2000,
    samplesPerSec: 300,
  };
  const cloud: StudyMeasurement = {
    ...base,
    target: 'cloud',
    ranks: 10,
    secondsPerBatch: 2.9,
    throughputBps: 10e6,
    cpuTimeSeconds: 40,
    memoryMb: 3000, // 300 MB per worker vs 2000: 85% less
    samplesPerSec: 100,
  };
  const c = compareRuns({ label: 'local', run: local }, { label: 'cloud', run: cloud });

  it('has the five rows with values and direction-aware notes', () => {
    expect(c.table.rows).toEqual([
      { metric: 'Execution Time/Batch (s)', a: 5, b: 2.9, note: 'cloud 42% faster' },
      { metric: 'Throughput (Mbps)', a: 47, b: 10, note: 'local 4.7× higher throughput' },
      { metric: 'CPU Time (s)', a: 40, b: 40, note: 'about the same' },
      { metric: 'Memory (MB)', a: 2000, b: 3000, note: 'cloud 85% less memory per worker' },
      { metric: 'Samples/sec', a: 300, b: 100, note: 'local 3.0× more samples/sec' },
    ]);
    expect(c.table.columns.map((col) => col.label)).toEqual(['Metric', 'local', 'cloud', 'Notes']);
  });

  it('states how each side measured', () => {
    expect(c.measuredHow[0].text).toMatch(/^Local \(onnxruntime/);
    expect(c.measuredHow[1].text).toMatch(/^Cloud \(AWS Lambda/);
    expect(c.measuredHow[1].text).toMatch(/10 ranks/);
    expect(c.table.note).toContain('cloud: Cloud (AWS Lambda');
    const custom = compareRuns({ label: 'run 1', run: local, measuredHow: 'by hand' }, { label: 'run 2', run: local });
    expect(custom.measuredHow[0].text).toBe('by hand');
    expect(custom.table.rows.every((r) => r.note === 'about the same')).toBe(true);
  });

  it('tags an int8 side and says it ran the quantized model', () => {
    const int8: StudyMeasurement = { ...local, precision: 'int8' };
    expect(precisionLabel('local', int8)).toBe('local (int8)');
    expect(precisionLabel('local/batch-size/bs8/r1 int8', int8)).toBe('local/batch-size/bs8/r1 int8');
    expect(precisionLabel('local', local)).toBe('local');
    expect(precisionLabel('cloud', cloud)).toBe('cloud');
    const c8 = compareRuns(
      { label: precisionLabel('A', int8), run: int8 },
      { label: precisionLabel('B', local), run: local },
    );
    expect(c8.table.columns.map((col) => col.label)).toEqual(['Metric', 'A (int8)', 'B', 'Notes']);
    expect(c8.measuredHow[0].text).toMatch(/int8 \(dynamically quantized\) copy of the model/);
    expect(c8.measuredHow[1].text).not.toMatch(/int8/);
  });

  it('needs two different labels', () => {
    expect(() => compareRuns({ label: 'x', run: local }, { label: 'x', run: cloud })).toThrow(/different labels/);
  });
});

describe('like with like', () => {
  const local: StudyMeasurement = { ...base, secondsPerBatch: 5, physicalMemoryMbPerWorker: 2000 };
  const study: StudyMeasurement = {
    ...base,
    target: 'cloud',
    ranks: 10,
    secondsPerBatch: 0.4,
    memoryMb: 535_830,
    engine: 'pytorch',
    model: 'astromae.pt',
    definitions: PROFILER_DEFINITIONS,
    physicalMemoryMbPerWorker: 5948,
  };
  const noPercent = (rows: Array<Record<string, unknown>>) =>
    rows.filter((r) => /\d+% |\d\.\d× /.test(String(r.note))).map((r) => r.metric);

  it('batch 512 against batch 32: warning rows, no "% faster", comparable false', () => {
    const c = compareRuns(
      { label: 'local', run: local },
      { label: 'cloud', run: { ...local, target: 'cloud', batchSize: 32, secondsPerBatch: 0.4 } },
    );
    expect(c.comparable).toBe(false);
    expect(c.warnings).toEqual(['batch sizes differ (local 512, cloud 32)']);
    expect(c.table.rows[0]).toEqual({
      metric: 'Warning',
      a: null,
      b: null,
      note: 'batch sizes differ (local 512, cloud 32)',
    });
    expect(noPercent(c.table.rows)).toEqual([]);
    expect(c.table.note).toMatch(/^Not like with like: batch sizes differ/);
  });

  it("onnxruntime here against the study's PyTorch profiler numbers: every differing definition said, nothing concluded", () => {
    const c = compareRuns(
      { label: 'local', run: local },
      { label: 'cloud', run: { ...study, model: 'astromae.onnx' } },
    );
    expect(c.comparable).toBe(false);
    expect(c.warnings[0]).toBe('engines differ (local onnxruntime, cloud pytorch)');
    expect(c.warnings).toContain(
      'CPU Time (s) is defined differently (local: process user+system CPU; cloud: torch profiler operator CPU sum)',
    );
    expect(c.table.rows.find((r) => r.metric === 'Memory (MB)')?.note).toBe(
      'not compared: different definitions (local: peak RSS (MB = 2^20 bytes); cloud: profiler allocation sum (MB = 1e6 bytes))',
    );
    expect(noPercent(c.table.rows)).toEqual([]);
    // Memory physical to physical is still shown, with no conclusion while the runs differ.
    expect(c.table.rows.at(-1)).toMatchObject({ metric: 'Peak memory per worker (MB, physical)', a: 2000, b: 5948 });
  });

  it("PyTorch here against PyTorch in Lambda: the local run's profiler numbers are used, and compared", () => {
    const profiled: StudyMeasurement = {
      ...local,
      engine: 'pytorch',
      model: 'astromae.pt',
      definitions: PHYSICAL_DEFINITIONS,
    };
    profiled.studyFamily = {
      ...profiled,
      secondsPerBatch: 0.5,
      memoryMb: 53_000,
      definitions: PROFILER_DEFINITIONS,
      studyFamily: undefined,
    };
    const c = compareRuns({ label: 'local', run: profiled }, { label: 'cloud', run: study });
    expect(c.warnings).toEqual([]);
    expect(c.comparable).toBe(true);
    expect(c.table.rows[0]).toEqual({ metric: 'Execution Time/Batch (s)', a: 0.5, b: 0.4, note: 'cloud 20% faster' });
    expect(c.table.rows.at(-1)).toEqual({
      metric: 'Peak memory per worker (MB, physical)',
      a: 2000,
      b: 5948,
      note: 'local 66% less peak memory per worker',
    });
    expect(c.table.note).toContain(
      "local: its torch-profiler numbers (the study's definitions) are shown, to match cloud.",
    );
  });

  it('a model or engine that is not recorded is said, and nothing concluded', () => {
    const c = compareRuns({ label: 'a', run: { ...local, model: undefined } }, { label: 'b', run: local });
    expect(c.comparable).toBe(false);
    expect(c.warnings).toEqual(['the model of a is not recorded']);
  });
});
