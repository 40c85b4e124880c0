/**
 * A Lambda memory sweep runs one configuration at several memory sizes: Tables 1–3 keep each size its own row (never
 * one average over sizes), with a Lambda memory column and a note; a table of one size looks as it always did.
 * Expected numbers are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { table1, table2, table3 } from '../../study/tables.ts';
import { cloudMeasurement } from '../support/study-measurement.ts';

const run = (over: Partial<StudyMeasurement>) =>
  cloudMeasurement({ lambdaMemoryMb: 2048, lambdaMemorySource: 'configured', ...over });

// Three sizes, two repeats each, given out of order: 3008 MB runs fastest, 1024 MB slowest.
const SWEEP = [
  run({ id: 'a', lambdaMemoryMb: 3008, secondsPerBatch: 1, rankSecondsTotal: 40 }),
  run({ id: 'b', lambdaMemoryMb: 1024, secondsPerBatch: 4, rankSecondsTotal: 160 }),
  run({ id: 'c', lambdaMemoryMb: 2048, secondsPerBatch: 2, rankSecondsTotal: 80 }),
  run({ id: 'd', lambdaMemoryMb: 1024, secondsPerBatch: 6, rankSecondsTotal: 240, repeat: 2 }),
  run({ id: 'e', lambdaMemoryMb: 2048, secondsPerBatch: 3, rankSecondsTotal: 120, repeat: 2 }),
  run({ id: 'f', lambdaMemoryMb: 3008, secondsPerBatch: 2, rankSecondsTotal: 60, repeat: 2 }),
];

describe('Tables of a Lambda memory sweep', () => {
  it('Table 2: one row per memory size, smallest first, means over that size only', () => {
    const t = table2(SWEEP);
    expect(t.columns.map((c) => c.key).slice(0, 3)).toEqual(['data_label', 'partition_mb', 'lambda_memory_mb']);
    expect(t.rows.map((r) => [r.lambda_memory_mb, r.seconds_per_batch, r.repeats])).toEqual([
      [1024, 5, 2],
      [2048, 2.5, 2],
      [3008, 1.5, 2],
    ]);
    expect(t.note).toMatch(/^Lambda memory: the runs were made at several memory sizes/m);
  });

  it('Table 3: each row one size, its cost from its own memory', () => {
    const t = table3(SWEEP);
    // Table 3 already has its "Lambda memory (GB)" column: one size per row now, not a range.
    expect(t.rows.map((r) => [r.memory_gb, r.total_duration_s])).toEqual([
      [1, 200],
      [2, 100],
      [3008 / 1024, 50],
    ]);
    // x86 first tier $0.0000166667 per GB-s, $0.20 per million requests, 4 ranks an execution:
    // 1024 MB: mean of 160 and 240 GB-s; 2048 MB: 2 × (80, 120) GB-s; 3008 MB: 2.9375 × (40, 60) GB-s.
    const usd = (gbSeconds: number) => gbSeconds * 0.0000166667 + 4 * 0.2e-6;
    const expected = [(usd(160) + usd(240)) / 2, (usd(160) + usd(240)) / 2, (usd(117.5) + usd(176.25)) / 2];
    t.rows.forEach((r, i) => expect(r.cost_usd as number).toBeCloseTo(expected[i], 12));
  });

  it('Table 1: a batch-size sweep at several sizes keeps them apart too', () => {
    const t = table1(SWEEP.map((m) => ({ ...m, sweep: 'batch-size' as const })));
    expect(t.rows.map((r) => [r.batch_size, r.lambda_memory_mb, r.seconds_per_batch])).toEqual([
      [512, 1024, 5],
      [512, 2048, 2.5],
      [512, 3008, 1.5],
    ]);
  });

  it('one memory size: no memory column, no note, one row as before', () => {
    const one = SWEEP.filter((m) => m.lambdaMemoryMb === 2048);
    for (const t of [table1(one.map((m) => ({ ...m, sweep: 'batch-size' as const }))), table2(one), table3(one)]) {
      expect(t.columns.map((c) => c.key)).not.toContain('lambda_memory_mb');
      expect(t.note).not.toMatch(/several memory sizes/);
      expect(t.rows).toHaveLength(1);
    }
  });
});
