/**
 * The study tables where the other table tests do not look: Table 2's precision column and note, concurrent jobs
 * that differ between repeats, runs without a partition size, Table 3's mixed duration sources, memory taken from a
 * profile, a user's own price table, Table 1 for one target, and data labels that only look like sizes.
 * Every expected number is written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_TABLE, type PriceTable } from '../../base/price-table.ts';
import { definitionNotes } from '../../study/definition-notes.ts';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { DATA_LABEL_NOTE, dataLabelGb, executionCostUsd, table1, table2, table3 } from '../../study/tables.ts';
import { cloudMeasurement } from '../support/study-measurement.ts';

const run = (over: Partial<StudyMeasurement>) => cloudMeasurement({ lambdaMemoryMb: 2048, ...over });

const PROFILE_NOTE =
  "Lambda memory is the REPORT lines' Memory Size where they were found; for runs without them it is the profile's " +
  'setting, assumed.';
const CPU_TIME_NOTE = /^Where no REPORT lines were recorded, total duration is estimated from CPU time/m;

describe('Table 2', () => {
  it('shows a Precision column after the partition, and says what int8 means', () => {
    const t = table2([run({ target: 'local' }), run({ target: 'local', precision: 'int8', secondsPerBatch: 0.5 })]);
    expect(t.columns.map((c) => c.key).slice(0, 4)).toEqual([
      'data_label',
      'partition_mb',
      'precision',
      'seconds_per_batch',
    ]);
    expect(t.rows.map((r) => [r.precision, r.seconds_per_batch])).toEqual([
      ['fp32', 1],
      ['int8', 0.5],
    ]);
    expect(t.note!.split('\n')).toContain(
      'Precision: int8 rows ran the dynamically quantized copy of the model, fp32 rows the model as exported ' +
        '(cloud runs are fp32).',
    );
    expect(t.note!.split('\n').at(-1)).toBe(DATA_LABEL_NOTE);
  });

  it('ranks are the most ranks any repeat ran; concurrent jobs the largest measured peak, when any repeat has one', () => {
    const t = table2([run({ ranks: 3 }), run({ repeat: 2, ranks: 5 }), run({ repeat: 3, ranks: 4 })]);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0]).toMatchObject({ ranks: 5, concurrent_jobs: null, repeats: 3 });
    const measured = table2([
      run({ ranks: 3, measuredPeakConcurrency: 2 }),
      run({ repeat: 2, ranks: 5, measuredPeakConcurrency: 4 }),
      run({ repeat: 3, ranks: 4 }),
    ]);
    expect(measured.rows[0]).toMatchObject({ ranks: 5, concurrent_jobs: 4, repeats: 3 });
  });

  it('leaves out data-size runs without a partition size, as Table 3 does', () => {
    const runs = [run({}), run({ id: 'no-partition', partitionMb: null, secondsPerBatch: 50, rankSecondsTotal: 9 })];
    expect(table2(runs).rows.map((r) => [r.partition_mb, r.seconds_per_batch, r.repeats])).toEqual([[25, 1, 1]]);
    expect(table3(runs).rows.map((r) => [r.partition_mb, r.total_duration_s, r.repeats])).toEqual([[25, 100, 1]]);
  });
});

describe('Table 3', () => {
  it('says when a row mixes billed and CPU-time durations', () => {
    const t = table3([run({}), run({ repeat: 2, rankSecondsSource: 'cpu-time', rankSecondsTotal: 80 })]);
    expect(t.rows[0]).toMatchObject({
      duration_source: 'mixed: billed and estimated from CPU time',
      total_duration_s: 90,
      repeats: 2,
    });
    expect(t.note).toMatch(CPU_TIME_NOTE);
  });

  it("says when a run's memory is the profile's setting, and only then", () => {
    const fromReport = table3([run({ lambdaMemorySource: 'report' })]);
    expect(fromReport.note!.split('\n')).not.toContain(PROFILE_NOTE);
    expect(fromReport.note).not.toMatch(CPU_TIME_NOTE);
    const fromProfile = table3([run({ lambdaMemorySource: 'report' }), run({ lambdaMemorySource: 'profile' })]);
    expect(fromProfile.note!.split('\n')).toContain(PROFILE_NOTE);
    expect(fromProfile.note).not.toMatch(/was assumed/);
  });

  it("prices with a user's own table: its tiers, request price and source", () => {
    const prices: PriceTable = {
      ...structuredClone(DEFAULT_PRICE_TABLE),
      source: 'my invoice',
      asOf: '2027-01-15',
      lambda: {
        ...structuredClone(DEFAULT_PRICE_TABLE.lambda),
        computeTiers: {
          x86_64: [
            { upToGbSeconds: 100, usdPerGbSecond: 0.00002 },
            { upToGbSeconds: null, usdPerGbSecond: 0.00001 },
          ],
          arm64: [{ upToGbSeconds: null, usdPerGbSecond: 0.000015 }],
        },
        usdPerMillionRequests: 0.4,
      },
    };
    // 75 s × 2 GB = 150 GB-s: 100 at 0.00002 and 50 at 0.00001; 4 requests at $0.40 per million
    const one = run({ rankSecondsTotal: 75 });
    expect(executionCostUsd(one, { prices })).toBeCloseTo(0.002 + 0.0005 + 4 * 0.4e-6, 15);
    expect(executionCostUsd(one, { prices, arch: 'arm64' })).toBeCloseTo(150 * 0.000015 + 4 * 0.4e-6, 15);
    const t = table3([one], { prices });
    expect(t.rows[0].cost_usd).toBeCloseTo(0.0025016, 15);
    expect(t.note!.split('\n')).toContain(
      'Cost = Lambda compute (total duration × memory GB at the x86_64 tier prices) + $0.40 per million requests. ' +
        'Prices: my invoice (as of 2027-01-15).',
    );
  });

  it('shows memory in GB from the recorded MB, and the fallback only for runs without it', () => {
    const t = table3([run({ lambdaMemoryMb: 3008 }), run({ partitionMb: 50, lambdaMemoryMb: undefined })], {
      lambdaMemoryMb: 512,
    });
    expect(t.rows.map((r) => [r.partition_mb, r.memory_gb])).toEqual([
      [25, 2.9375],
      [50, 0.5],
    ]);
    // 100 s × 2.9375 GB and 100 s × 0.5 GB at the first x86 tier, plus 4 requests each
    expect(t.rows.map((r) => r.cost_usd)).toEqual([
      expect.closeTo(293.75 * 0.0000166667 + 8e-7, 15),
      expect.closeTo(50 * 0.0000166667 + 8e-7, 15),
    ]);
    expect(t.note!.split('\n')).toContain(
      'Lambda memory was not recorded for some runs; 512 MB was assumed (GB = MB ÷ 1024).',
    );
  });
});

describe('rows and notes hold what the table shows, nothing more', () => {
  const fp32 = [
    run({ sweep: 'batch-size', target: 'local', batchSize: 32 }),
    run({ sweep: 'batch-size', target: 'local', batchSize: 64, precision: 'fp32' }),
  ];
  const keysOf = (t: { columns: Array<{ key: string }>; rows: Array<Record<string, unknown>> }) => ({
    columns: t.columns.map((c) => c.key).sort(),
    rows: t.rows.map((r) => Object.keys(r).sort()),
  });

  it('every row has exactly the columns as keys, with and without a Precision column', () => {
    for (const t of [
      table1(fp32),
      table1([...fp32, run({ sweep: 'batch-size', target: 'local', precision: 'int8' })]),
      table2([run({}), run({ partitionMb: 50 })]),
      table2([run({}), run({ precision: 'int8' })]),
      table3([run({}), run({ partitionMb: 50 })]),
    ]) {
      const { columns, rows } = keysOf(t);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r, t.title).toEqual(columns);
    }
  });

  it("an all-fp32 Table 1 has its three notes and the runs' definitions, no precision note", () => {
    expect(table1(fp32).note!.split('\n')).toEqual([
      'Values are means over repeats; "± sd" is the sample standard deviation (n − 1), blank with one repeat.',
      "Execution time is the mean over ranks of each rank's seconds per batch. Throughput is summed over ranks; " +
        'Mbps = 10^6 bit/s.',
      'Memory GB = the ranks\' "total_cpu_memory (MB)" summed over ranks ÷ 1024 (MB = 2^20 bytes).',
      ...definitionNotes(fp32),
    ]);
  });

  it('an all-fp32 Table 2 likewise, ending with what the data labels mean', () => {
    const runs = [run({}), run({ partitionMb: 50 })];
    const lines = table2(runs).note!.split('\n');
    expect(lines[2]).toMatch(/^Memory GB = .*\(MB = 2\^20 bytes\)\.$/);
    expect(lines[3]).toMatch(/^Concurrent jobs = the measured peak: .* Ranks = the ranks the run was given/);
    expect(lines[4]).toMatch(/^2 of 2 run\(s\) have no rank timeline/);
    expect(lines.slice(5)).toEqual([...definitionNotes(runs), DATA_LABEL_NOTE]);
  });
});

describe('Table 1 for one target', () => {
  it('keeps only that target, without a "Run on" column', () => {
    const runs = [
      run({ sweep: 'batch-size', target: 'local', batchSize: 32, secondsPerBatch: 0.5 }),
      run({ sweep: 'batch-size', target: 'cloud', batchSize: 32, secondsPerBatch: 3 }),
      run({ sweep: undefined, target: 'cloud', batchSize: 64, secondsPerBatch: 4 }),
    ];
    const local = table1(runs, { target: 'local' });
    expect(local.columns[0].key).toBe('batch_size');
    expect(local.rows.map((r) => [r.batch_size, r.seconds_per_batch])).toEqual([[32, 0.5]]);
    // a run of no particular sweep belongs to both tables
    expect(table1(runs, { target: 'cloud' }).rows.map((r) => [r.batch_size, r.seconds_per_batch])).toEqual([
      [32, 3],
      [64, 4],
    ]);
  });
});

describe('data labels that only look like sizes', () => {
  it('must be the whole label: digits, an optional fraction, GB, optionally after "total"', () => {
    const cases: Array<[string, number | null]> = [
      ['1.25GB', 1.25],
      ['total2.5GB', 2.5],
      ['100GB', 100],
      ['x2GB', null],
      ['2GBx', null],
      ['2.GB', null],
      ['.5GB', null],
      ['GB', null],
      ['totalGB', null],
      ['total 2GB', null],
      ['total', 12.6],
      ['Total', null],
    ];
    expect(cases.map(([label]) => [label, dataLabelGb(label)])).toEqual(cases);
  });

  it('orders unknown labels after every size, by name, and a missing label among them', () => {
    const t = table2(['b', '3GB', null, 'a'].map((dataLabel, i) => run({ dataLabel, id: String(i) })));
    expect(t.rows.map((r) => r.data_label)).toEqual(['3GB', 'a', 'b', null]);
  });
});
