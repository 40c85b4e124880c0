/**
 * The study tables' statistics over repeats: with 3 or more repeats a row gets median, CV and 95% CIs (t and
 * bootstrap); the screen shows "95% CI (t)", the exports the numbers; the footnote states the methods.
 * Expected values are computed here by hand from the definitions (t(0.975, 2) = 4.302653, published).
 */
import { describe, expect, it } from 'vitest';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { localMeasurement } from '../support/study-measurement.ts';
import { table1, table3 } from '../../study/tables.ts';
import { statisticsTable } from '../../study/stat-columns.ts';
import { exportTable, screenColumns, toCSV } from '../../base/table.ts';
import { studyReportHtml } from '../../study/report-html.ts';
import { DEFAULT_PRICE_TABLE } from '../../base/price-table.ts';

const run = (over: Partial<StudyMeasurement>) => localMeasurement({ sweep: 'batch-size', ...over });

const T2 = 4.302653; // t(0.975, 2)
const sec = [0.5, 0.7, 0.9]; // mean 0.7, sd 0.2, median 0.7
const runs = [
  ...sec.map((s, i) => run({ id: `a${i}`, repeat: i + 1, secondsPerBatch: s, throughputBps: (8 + 2 * i) * 1e6 })),
  run({ id: 'b1', batchSize: 64, secondsPerBatch: 2 }),
  run({ id: 'b2', batchSize: 64, repeat: 2, secondsPerBatch: 3 }),
];

describe('a table with 3 repeats', () => {
  const t = table1(runs);
  const [r32, r64] = t.rows;

  it('gives the mean, sd, median, CV and both 95% CIs of each value', () => {
    expect(r32.seconds_per_batch).toBeCloseTo(0.7, 12);
    expect(r32.seconds_per_batch_sd).toBeCloseTo(0.2, 12);
    expect(r32.seconds_per_batch_median).toBeCloseTo(0.7, 12);
    expect(r32.seconds_per_batch_cv).toBeCloseTo(0.2 / 0.7, 12);
    const half = (T2 * 0.2) / Math.sqrt(3);
    expect(r32.seconds_per_batch_ci_t_low).toBeCloseTo(0.7 - half, 6);
    expect(r32.seconds_per_batch_ci_t_high).toBeCloseTo(0.7 + half, 6);
    // n = 3: the bootstrap percentile interval is [min, max] (each extreme has probability 1/27 > 2.5 %)
    expect(r32.seconds_per_batch_ci_boot_low).toBeCloseTo(0.5, 12);
    expect(r32.seconds_per_batch_ci_boot_high).toBeCloseTo(0.9, 12);
    // throughput 8, 10, 12 Mbps: sd 2
    expect(r32.throughput_mbps_ci_t_high).toBeCloseTo(10 + (T2 * 2) / Math.sqrt(3), 5);
    expect(r32.seconds_per_batch_ci95).toBe(`[${(0.7 - half).toFixed(3)}, ${(0.7 + half).toFixed(3)}]`);
  });

  it('leaves a row with 2 repeats without CI or CV (blank), keeping mean ± sd', () => {
    expect(r64.seconds_per_batch).toBe(2.5);
    expect(r64.seconds_per_batch_sd).toBeCloseTo(Math.SQRT1_2, 12);
    expect(r64.seconds_per_batch_cv).toBeNull();
    expect(r64.seconds_per_batch_ci_t_low).toBeNull();
    expect(r64.seconds_per_batch_ci_boot_high).toBeNull();
    expect(r64.seconds_per_batch_ci95).toBeNull();
  });

  it('shows mean, ± sd and "95% CI (t)" on screen; the rest only in exports', () => {
    expect(screenColumns(t).map((c) => c.key)).toEqual([
      'batch_size',
      'seconds_per_batch',
      'seconds_per_batch_sd',
      'seconds_per_batch_ci95',
      'throughput_mbps',
      'throughput_mbps_sd',
      'throughput_mbps_ci95',
      'memory_gb',
      'memory_gb_sd',
      'memory_gb_ci95',
      'repeats',
    ]);
    const header = toCSV(t).split('\r\n')[0].split(',');
    expect(header.slice(0, 9)).toEqual([
      'Batch size',
      'Execution time (s/batch)',
      '± sd (s/batch)',
      'Execution time median (s/batch)',
      'Execution time CV',
      'Execution time 95% CI t low (s/batch)',
      'Execution time 95% CI t high (s/batch)',
      'Execution time 95% CI bootstrap low (s/batch)',
      'Execution time 95% CI bootstrap high (s/batch)',
    ]);
    expect(header.some((h) => h.startsWith('95% CI (t)'))).toBe(false);
  });

  it('exports the numbers in CSV, Markdown, LaTeX and JSON, with the method in the footnote', () => {
    const csvRow = toCSV(t).split('\r\n')[1].split(',').map(Number);
    const half = (T2 * 0.2) / Math.sqrt(3);
    expect(csvRow[5]).toBeCloseTo(0.7 - half, 6);
    expect(csvRow[6]).toBeCloseTo(0.7 + half, 6);
    const json = JSON.parse(exportTable(t, 'json')) as { rows: Array<Record<string, number>>; note: string };
    expect(json.rows[0].seconds_per_batch_ci_boot_low).toBeCloseTo(0.5, 12);
    expect(json.rows[1].seconds_per_batch_ci_t_low).toBeNull();
    expect(json.note).toContain('t(0.975, n − 1) · sd / √n');
    expect(json.note).toContain('B = 10,000');
    expect(json.note).toMatch(/seed \d+/);
    const md = exportTable(t, 'md');
    expect(md).toContain('Execution time 95% CI bootstrap high (s/batch)');
    expect(md).toContain(` ${(0.7 + half).toFixed(3)} `);
    const tex = exportTable(t, 'tex');
    expect(tex).toContain('Execution time 95\\% CI t low (s/batch)');
    expect(tex).toContain('bootstrap');
    // The method's symbols are written as LaTeX, none dropped to "?".
    expect(tex).toContain('sd / $\\surd$n');
    expect(tex).toContain('t(0.975, n $-$ 1) $\\cdot$ sd');
    expect(tex.split('\n').filter((l) => l.includes('mulberry32'))[0]).not.toContain('?');
  });

  it('adds no statistics columns when no row has 3 repeats', () => {
    const two = table1(runs.filter((r) => r.batchSize === 64));
    expect(two.columns.map((c) => c.key)).toEqual([
      'batch_size',
      'seconds_per_batch',
      'seconds_per_batch_sd',
      'throughput_mbps',
      'throughput_mbps_sd',
      'memory_gb',
      'memory_gb_sd',
      'repeats',
    ]);
    expect(two.note).not.toContain('bootstrap');
  });

  it('lists the statistics in long form for the report', () => {
    const s = statisticsTable(t);
    expect(s.rows).toHaveLength(6); // 2 rows × 3 values
    expect(s.rows[0]).toMatchObject({ row: 'Batch size 32', value: 'Execution time (s/batch)', n: 3 });
    expect(s.rows[0].t_low).toBeCloseTo(0.7 - (T2 * 0.2) / Math.sqrt(3), 6);
    expect(s.rows[3]).toMatchObject({ row: 'Batch size 64', n: 2, t_low: null, cv: null });
    expect(statisticsTable(table1(runs.slice(3))).rows).toHaveLength(0);
  });

  it('prints the table and its statistics in the HTML report', () => {
    const html = studyReportHtml({
      title: 'Study',
      source: 'test',
      settings: [],
      environment: [],
      runs,
      prices: DEFAULT_PRICE_TABLE,
    });
    expect(html).toContain('Table 1. Execution Time vs Batch Size: statistics over repeats');
    expect(html).toContain('95% CI bootstrap low');
    expect(html).toContain(`[${(0.7 - (T2 * 0.2) / Math.sqrt(3)).toFixed(3)}, `);
  });
});

describe('Table 3 with 3 repeats', () => {
  it('gives the cost a 95% CI', () => {
    const cloud = [100, 110, 120].map((d, i) =>
      run({
        id: `c${i}`,
        target: 'cloud',
        sweep: 'data-size',
        partitionMb: 25,
        dataLabel: '1GB',
        repeat: i + 1,
        rankSecondsTotal: d,
        rankSecondsSource: 'billed',
        lambdaMemoryMb: 1024,
      }),
    );
    const [row] = table3(cloud).rows;
    expect(row.total_duration_s).toBe(110);
    expect(row.total_duration_s_ci_t_low).toBeCloseTo(110 - (T2 * 10) / Math.sqrt(3), 5);
    expect(row.total_duration_s_ci_boot_high).toBe(120);
    expect(row.cost_usd_ci_t_low as number).toBeLessThan(row.cost_usd as number);
  });
});
