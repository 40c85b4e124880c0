/**
 * The cases of study/tables.ts that the mutants surviving its 2026-12-06 18:46 Stryker run showed untested
 * (docs/mutation-testing.md lists each mutant and the test here that kills it): a cloud run without a recorded
 * memory size beside sized runs, the memory column's label and unit, the memory note in Tables 1 and 3, where runs
 * without a size sort, Table 1's cold and warm columns, the CI note of Tables 2 and 3, and the full text of Table 2's
 * concurrency notes. Every expected value is written out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { StudyMeasurement } from '../../study/measurement.ts';
import type { StudyTable } from '../../study/table.ts';
import { definitionNotes } from '../../study/definition-notes.ts';
import { DATA_LABEL_NOTE, table1, table2, table3 } from '../../study/tables.ts';
import { cloudMeasurement } from '../support/study-measurement.ts';

const run = (over: Partial<StudyMeasurement>) => cloudMeasurement({ lambdaMemoryMb: 2048, ...over });
const batchRun = (over: Partial<StudyMeasurement>) => run({ sweep: 'batch-size', ...over });

const MEMORY_NOTE =
  'Lambda memory: the runs were made at several memory sizes (a memory sweep); each size is its own row (MB as ' +
  "configured, from the REPORT lines' Memory Size where recorded).";
const MEMORY_COLUMN = { key: 'lambda_memory_mb', label: 'Lambda memory', unit: 'MB' };
const CI_METHOD = 'mean ± t(0.975, n − 1) · sd / √n';
const lines = (t: { note?: string }) => t.note!.split('\n');

describe('a cloud run without a recorded memory size, beside runs of one size', () => {
  // One size recorded (2048 MB) and one run without any: not a sweep, so one row over both repeats.
  const runs = [
    run({ id: 'a', secondsPerBatch: 1, rankSecondsTotal: 100 }),
    run({ id: 'b', repeat: 2, lambdaMemoryMb: undefined, secondsPerBatch: 3, rankSecondsTotal: 300 }),
  ];

  it('is averaged with them in Tables 2 and 1: no memory column, no memory note', () => {
    for (const t of [table2(runs), table1(runs.map((m) => ({ ...m, sweep: 'batch-size' as const })))]) {
      expect(t.columns.map((c) => c.key)).not.toContain('lambda_memory_mb');
      expect(lines(t)).not.toContain(MEMORY_NOTE);
      // (1 + 3) / 2 s/batch; sd √((1 + 1) / 1) = √2
      expect(t.rows.map((r) => [r.seconds_per_batch, r.repeats])).toEqual([[2, 2]]);
      expect(t.rows[0].seconds_per_batch_sd).toBeCloseTo(Math.SQRT2, 12);
    }
  });

  it('is one Table 3 row whose memory spans the recorded and the assumed size', () => {
    const t = table3(runs, { lambdaMemoryMb: 1024 });
    expect(t.rows.map((r) => [r.memory_gb, r.total_duration_s, r.repeats])).toEqual([['1–2', 200, 2]]);
    expect(lines(t)).not.toContain(MEMORY_NOTE);
  });
});

describe('a local run that carries a Lambda memory size (a study file may hold one: its schema allows it)', () => {
  const local = (over: Partial<StudyMeasurement>) => batchRun({ target: 'local', ...over });

  it('does not make a memory sweep: only cloud runs count', () => {
    const t = table1([
      local({ id: 'l1', lambdaMemoryMb: 1024, secondsPerBatch: 1 }),
      local({ id: 'l2', repeat: 2, lambdaMemoryMb: 2048, secondsPerBatch: 2 }),
    ]);
    expect(t.columns.map((c) => c.key)).not.toContain('lambda_memory_mb');
    expect(t.rows.map((r) => [r.batch_size, r.seconds_per_batch, r.repeats])).toEqual([[512, 1.5, 2]]);
  });

  it('beside a cloud memory sweep, stays one local row with no memory', () => {
    const t = table1([
      batchRun({ id: 'c1', lambdaMemoryMb: 1024, secondsPerBatch: 4 }),
      batchRun({ id: 'c2', lambdaMemoryMb: 2048, secondsPerBatch: 2 }),
      local({ id: 'l1', lambdaMemoryMb: 1024, secondsPerBatch: 1 }),
      local({ id: 'l2', repeat: 2, lambdaMemoryMb: 2048, secondsPerBatch: 2 }),
    ]);
    expect(t.rows.map((r) => [r.target, r.lambda_memory_mb, r.seconds_per_batch, r.repeats])).toEqual([
      ['cloud', 1024, 4, 1],
      ['cloud', 2048, 2, 1],
      ['local', null, 1.5, 2],
    ]);
  });
});

describe('a memory sweep', () => {
  // Given out of order, with a run of no recorded size: sizes ascending, the unrecorded one last.
  const sweep = [
    run({ id: 'n', lambdaMemoryMb: undefined, secondsPerBatch: 9, rankSecondsTotal: 90 }),
    run({ id: 'c', lambdaMemoryMb: 3008, secondsPerBatch: 1, rankSecondsTotal: 10 }),
    run({ id: 'a', lambdaMemoryMb: 1024, secondsPerBatch: 4, rankSecondsTotal: 40 }),
    run({ id: 'b', lambdaMemoryMb: 2048, secondsPerBatch: 2, rankSecondsTotal: 20 }),
  ];

  it.each([
    {
      name: 'Table 1: a "Lambda memory (MB)" column after the batch size, a row per size, the memory note',
      build: () => table1(sweep.map((m) => ({ ...m, sweep: 'batch-size' as const }))),
      columns: (t: StudyTable) => t.columns.slice(0, 2),
      expected: [{ key: 'batch_size', label: 'Batch size', unit: '' }, MEMORY_COLUMN],
    },
    {
      name: 'Table 2: the same column after the partition, smallest size first, no size last, the memory note',
      build: () => table2(sweep),
      columns: (t: StudyTable) => t.columns[2],
      expected: MEMORY_COLUMN,
    },
  ])('$name', ({ build, columns, expected }) => {
    const t = build();
    expect(columns(t)).toEqual(expected);
    expect(t.rows.map((r) => [r.lambda_memory_mb, r.seconds_per_batch])).toEqual([
      [1024, 4],
      [2048, 2],
      [3008, 1],
      [null, 9],
    ]);
    expect(lines(t)).toContain(MEMORY_NOTE);
  });

  it('Table 3: its rows in the same order (memory GB, the fallback 10240 MB last) and the memory note', () => {
    const t = table3(sweep);
    expect(t.rows.map((r) => [r.memory_gb, r.total_duration_s])).toEqual([
      [1, 40],
      [2, 20],
      [2.9375, 10],
      [10, 90],
    ]);
    expect(lines(t)).toContain(MEMORY_NOTE);
  });
});

describe('Table 1 of cloud runs with cold and warm ranks', () => {
  // Repeat 1: 2 cold ranks at 6 s/batch, 1 warm at 2; repeat 2: 1 cold at 4, 2 warm at 2.5.
  const runs = [
    batchRun({
      id: 'r1',
      coldWarm: {
        cold: { ranks: 2, secondsPerBatch: 6, durationSeconds: 42 },
        warm: { ranks: 1, secondsPerBatch: 2, durationSeconds: 20 },
      },
    }),
    batchRun({
      id: 'r2',
      repeat: 2,
      coldWarm: {
        cold: { ranks: 1, secondsPerBatch: 4, durationSeconds: 38 },
        warm: { ranks: 2, secondsPerBatch: 2.5, durationSeconds: 21 },
      },
    }),
  ];

  it('splits s/batch into cold and warm columns, mean ± sd over repeats', () => {
    const t = table1(runs);
    const [row] = t.rows;
    expect(row.cold_warm_ranks).toBe('3 / 3');
    // cold 6 and 4: mean 5, sd √2; warm 2 and 2.5: mean 2.25, sd √(0.0625 + 0.0625)
    expect(row.cold_spb).toBe(5);
    expect(row.cold_spb_sd).toBeCloseTo(Math.SQRT2, 12);
    expect(row.warm_spb).toBe(2.25);
    expect(row.warm_spb_sd).toBeCloseTo(Math.sqrt(0.125), 12);
    expect(t.note).toContain(
      '"Cold" and "Warm" columns are the mean over repeats of the ranks\' s/batch averaged over that run\'s cold',
    );
  });

  it('says so when all ranks were warm', () => {
    const warm = { ranks: 3, secondsPerBatch: 2, durationSeconds: 20 };
    const t = table1([batchRun({ coldWarm: { cold: null, warm } })]);
    expect(lines(t)).toContain(
      'All 3 rank(s) with a REPORT line were warm (no Init Duration): no cold starts to compare.',
    );
  });
});

describe('the CI note', () => {
  const three = [1, 2, 3].map((repeat) => run({ id: `r${repeat}`, repeat, rankSecondsTotal: 90 + 10 * repeat }));

  it('Table 2 with 3 repeats says how the CIs were computed', () => {
    expect(table2(three).note).toContain(CI_METHOD);
  });

  it('Table 3 says it with 3 repeats, and not with 2', () => {
    expect(table3(three).note).toContain(CI_METHOD);
    const two = table3(three.slice(0, 2));
    expect(two.note).not.toContain('95% CI');
    expect(two.columns.map((c) => c.key)).not.toContain('cost_usd_ci95');
  });
});

describe("Table 2's concurrency notes", () => {
  it('say in full why some runs have no concurrent jobs', () => {
    const t = table2([run({}), run({ repeat: 2, measuredPeakConcurrency: 3 })]);
    expect(lines(t)).toContain(
      '1 of 2 run(s) have no rank timeline (local or imported results, cloud runs recorded before timelines, or ' +
        'whose execution history was unreadable): their concurrent jobs are not known and show "—" when no repeat ' +
        'has one.',
    );
  });

  it('add nothing after the definition when every run has a timeline', () => {
    const runs = [run({ measuredPeakConcurrency: 4 }), run({ repeat: 2, measuredPeakConcurrency: 3 })];
    const t = table2(runs);
    expect(t.rows.map((r) => [r.concurrent_jobs, r.ranks])).toEqual([[4, 4]]);
    const note = lines(t);
    expect(note[3]).toMatch(/^Concurrent jobs = the measured peak: .* the Step Functions execution history\. /);
    expect(note[3]).toMatch(/ Ranks = the ranks the run was given \(the study's "concurrent jobs", one Lambda/);
    expect(note.slice(4)).toEqual([...definitionNotes(runs), DATA_LABEL_NOTE]);
  });
});
