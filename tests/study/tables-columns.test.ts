/**
 * What the study tables show beyond their numbers: the columns (labels, units, digits) against the class report's
 * tables (../shared/cai/study-report-tables.md), the notes that define each number, the data-label order, and
 * Table 3's cost with the memory each run had, by hand.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataLabelGb, executionCostUsd, table1, table2, table3 } from '../../study/tables.ts';
import { noStudyCai, studyCaiDir } from '../support/python-oracle.ts';
import { cloudMeasurement } from '../support/study-measurement.ts';

const run = cloudMeasurement;

/** The report's header cells of the table whose title line starts with `title`. */
function reportHeaders(title: string): string[] {
  const md = readFileSync(path.join(studyCaiDir(), 'study-report-tables.md'), 'utf8').split('\n');
  const at = md.findIndex((l) => l.startsWith(title));
  const header = md.slice(at + 1).find((l) => l.startsWith('|'))!;
  return header
    .split('|')
    .map((s) => s.trim())
    .filter(Boolean);
}

const cols = (t: { columns: Array<{ key: string; label: string; unit?: string; digits?: number }> }) =>
  t.columns.map((c) => [c.key, c.label, c.unit, c.digits ?? null]);

// The report's own header cells are checked where ../shared/cai is present; our columns are checked everywhere.
const HAVE_REPORT = !noStudyCai("the header checks against the study's report tables");

describe('columns, as the study report names them', () => {
  it("Table 1: the report's batch size, s/batch, Mbps and GB columns, each with its sd, and the repeats", () => {
    if (HAVE_REPORT)
      expect(reportHeaders('Table 1')).toEqual([
        'Batch Size',
        'Execution Time (s/batch)',
        'Throughput (Mbps)',
        'Memory Usage (GB)',
      ]);
    expect(cols(table1([run({ sweep: 'batch-size', target: 'local' })]))).toEqual([
      ['batch_size', 'Batch size', '', null],
      ['seconds_per_batch', 'Execution time', 's/batch', 3],
      ['seconds_per_batch_sd', '± sd', 's/batch', 3],
      ['throughput_mbps', 'Throughput', 'Mbps', 2],
      ['throughput_mbps_sd', '± sd', 'Mbps', 2],
      ['memory_gb', 'Memory', 'GB', 2],
      ['memory_gb_sd', '± sd', 'GB', 2],
      ['repeats', 'Repeats', '', null],
    ]);
    const both = table1([
      run({ sweep: 'batch-size', target: 'local' }),
      run({ sweep: 'batch-size', precision: 'int8', target: 'cloud' }),
    ]);
    expect(cols(both).slice(0, 2)).toEqual([
      ['target', 'Run on', '', null],
      ['precision', 'Precision', '', null],
    ]);
  });

  it("Table 2: partition size, s/batch, Gbps, GB and concurrent jobs, as the report's", () => {
    if (HAVE_REPORT)
      expect(reportHeaders('Table 2')).toEqual([
        'Partition Size (MB)',
        'Avg Execution Time (s/batch)',
        'Throughput (Gbps)',
        'Memory Usage (GB)',
        'Num Concurrent Jobs',
      ]);
    expect(cols(table2([run({})]))).toEqual([
      ['data_label', 'Data', '', null],
      ['partition_mb', 'Partition', 'MB', null],
      ['seconds_per_batch', 'Average execution time', 's/batch', 3],
      ['seconds_per_batch_sd', '± sd', 's/batch', 3],
      ['throughput_gbps', 'Throughput', 'Gbps', 3],
      ['throughput_gbps_sd', '± sd', 'Gbps', 3],
      ['memory_gb', 'Memory', 'GB', 1],
      ['memory_gb_sd', '± sd', 'GB', 1],
      ['concurrent_jobs', 'Concurrent jobs', '', null],
      ['ranks', 'Ranks', '', null],
      ['repeats', 'Repeats', '', null],
    ]);
  });

  it("Table 3: partition size, invocations, total duration, memory and cost, as the report's", () => {
    if (HAVE_REPORT)
      expect(reportHeaders('Table 3')).toEqual([
        'Partition Size (MB)',
        'Num Lambda Invocations',
        'Total Duration (s)',
        'Memory (GB)',
        'Cost ($)',
      ]);
    expect(cols(table3([run({})]))).toEqual([
      ['data_label', 'Data', '', null],
      ['partition_mb', 'Partition', 'MB', null],
      ['invocations', 'Invocations', '', null],
      ['total_duration_s', 'Total duration', 's', 1],
      ['total_duration_s_sd', '± sd', 's', 1],
      ['duration_source', 'Duration from', '', null],
      ['memory_gb', 'Lambda memory', 'GB', 2],
      ['cost_usd', 'Cost', '$', 6],
      ['cost_usd_sd', '± sd', '$', 6],
      ['repeats', 'Repeats', '', null],
    ]);
  });
});

describe('notes that define the numbers', () => {
  it('Tables 1 and 2 say what the mean, sd, throughput unit and memory are', () => {
    const n1 = table1([run({ sweep: 'batch-size' })]).note!;
    expect(n1).toContain(
      'Values are means over repeats; "± sd" is the sample standard deviation (n − 1), blank with one repeat.',
    );
    expect(n1).toContain(
      "Execution time is the mean over ranks of each rank's seconds per batch. Throughput is summed over ranks; Mbps = 10^6 bit/s.",
    );
    expect(n1).toContain('Memory GB = the ranks\' "total_cpu_memory (MB)" summed over ranks ÷ 1024 (MB = 2^20 bytes).');
    expect(table1([run({ sweep: 'batch-size' })]).title).toBe('Table 1. Execution Time vs Batch Size');
    const n2 = table2([run({})]).note!;
    expect(n2).toContain(
      'Average execution time is the mean over ranks of seconds per batch. Throughput is summed over ranks; Gbps = 10^9 bit/s.',
    );
    expect(n2).toContain('Concurrent jobs = the measured peak: Measured concurrency = the number of ranks');
    expect(n2).toContain(
      'Ranks = the ranks the run was given (the study\'s "concurrent jobs", one Lambda per partition).',
    );
    expect(n2).toContain('1 of 1 run(s) have no rank timeline');
    expect(n2).toContain(
      'Data labels are the recorded folder names: "<n>GB" is that much data, "total" the whole 12.6 GB set, "total<n>GB" a scaled run.',
    );
    expect(table2([run({})]).title).toBe('Table 2. Execution Time vs Input Partitions');
  });

  it('Table 3 states the cost formula with the request price and the price source, and what it assumed', () => {
    const t = table3([run({ lambdaMemoryMb: 2048 })]);
    expect(t.title).toBe('Table 3. Lambda Cost Summary');
    expect(t.note).toContain('invocations = inference Lambdas (ranks); Initialize and Summarize are not counted.');
    expect(t.note).toMatch(
      /Cost = Lambda compute \(total duration × memory GB at the x86_64 tier prices\) \+ \$0\.20 per million requests\. Prices: .+ \(as of \d{4}-\d{2}-\d{2}\)\./,
    );
    expect(t.note).not.toMatch(/was assumed|estimated from CPU time/);
    const assumed = table3([run({ rankSecondsSource: 'cpu-time' })], { arch: 'arm64', lambdaMemoryMb: 3072 });
    expect(assumed.note).toMatch(/at the arm64 tier prices/);
    expect(assumed.note).toContain(
      "Where no REPORT lines were recorded, total duration is estimated from CPU time: the ranks' \"total_cpu_time (seconds)\" summed (the torch profiler's operator CPU sum for the study's ranks), not billed duration.",
    );
    expect(assumed.note).toContain(
      'Lambda memory was not recorded for some runs; 3072 MB was assumed (GB = MB ÷ 1024).',
    );
  });
});

describe('Table 3 numbers by hand', () => {
  it('cost = duration × GB × first-tier price + ranks × $0.20/M; one row per recorded memory size', () => {
    // 100 s × 2 GB × 0.0000166667 + 4 × 0.2e-6 (x86); arm64: 100 × 2 × 0.0000133334 + 4 × 0.2e-6
    expect(executionCostUsd(run({ lambdaMemoryMb: 2048 }))).toBeCloseTo(200 * 0.0000166667 + 8e-7, 15);
    expect(executionCostUsd(run({ lambdaMemoryMb: 2048 }), { arch: 'arm64' })).toBeCloseTo(
      200 * 0.0000133334 + 8e-7,
      15,
    );
    expect(executionCostUsd(run({}))).toBeCloseTo(100 * 10 * 0.0000166667 + 8e-7, 15); // 10240 MB by default
    expect(executionCostUsd(run({}), { lambdaMemoryMb: 1024 })).toBeCloseTo(100 * 0.0000166667 + 8e-7, 15);
    // Two recorded sizes are a memory sweep: one row each, never one average over sizes.
    const t = table3([
      run({ lambdaMemoryMb: 2048, ranks: 4 }),
      run({ repeat: 2, lambdaMemoryMb: 4096, ranks: 6, rankSecondsTotal: 50 }),
    ]);
    expect(t.rows.map((r) => [r.memory_gb, r.invocations, r.total_duration_s, r.repeats])).toEqual([
      [2, 4, 100, 1],
      [4, 6, 50, 1],
    ]);
    expect(t.rows[0].cost_usd).toBeCloseTo(200 * 0.0000166667 + 8e-7, 15);
    expect(t.rows[1].cost_usd).toBeCloseTo(200 * 0.0000166667 + 12e-7, 15);
    // One recorded size and a run that recorded none (10240 MB assumed): one row, memory shown as a range.
    const mixed = table3([
      run({ lambdaMemoryMb: 2048, ranks: 4 }),
      run({ repeat: 2, lambdaMemoryMb: undefined, ranks: 6, rankSecondsTotal: 50 }),
    ]);
    expect(mixed.rows).toHaveLength(1);
    expect(mixed.rows[0]).toMatchObject({ data_label: '1GB', partition_mb: 25, invocations: 6, memory_gb: '2–10' });
    expect(mixed.rows[0].total_duration_s).toBe(75);
    expect(mixed.rows[0].cost_usd).toBeCloseTo((200 * 0.0000166667 + 8e-7 + 500 * 0.0000166667 + 12e-7) / 2, 15);
    // Local and batch-size runs are not in Table 3.
    expect(table3([run({ target: 'local' }), run({ sweep: 'batch-size' })]).rows).toEqual([]);
  });
});

describe('data labels', () => {
  it('reads sizes from labels and orders rows by size, unknown labels last by name', () => {
    expect([null, 'total', '2GB', '1.5gb', 'total100GB', 'abc', '2 GB'].map(dataLabelGb)).toEqual([
      null,
      12.6,
      2,
      1.5,
      100,
      null,
      null,
    ]);
    const labels = ['zeta', 'total100GB', 'total', 'alpha', '10GB', '2GB'];
    const t = table2(labels.map((dataLabel, i) => run({ dataLabel, id: String(i) })));
    expect(t.rows.map((r) => r.data_label)).toEqual(['2GB', '10GB', 'total', 'total100GB', 'alpha', 'zeta']);
    const parts = table2([
      run({ partitionMb: 100 }),
      run({ partitionMb: 25 }),
      run({ partitionMb: 50, precision: 'int8' }),
      run({ partitionMb: 50 }),
    ]);
    expect(parts.rows.map((r) => `${r.partition_mb}/${r.precision}`)).toEqual([
      '25/fp32',
      '50/fp32',
      '50/int8',
      '100/fp32',
    ]);
  });
});
