import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderSource } from '../../study/import/object-source.ts';
import { importRecordedRuns, measurementFromRecorded } from '../../study/import/recorded-runs.ts';
import { studyCharts } from '../../study/charts.ts';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { table2 } from '../../study/tables.ts';

describe('study charts from the recorded-results fixture', async () => {
  const imported = await importRecordedRuns(folderSource(path.resolve('tests/fixtures/recorded-results')));
  const charts = studyCharts(imported.runs.map((r) => measurementFromRecorded(r, 2048)));
  const chart = (id: string) => charts.find((c) => c.id === id)!;

  it('has the five charts', () => {
    expect(charts.map((c) => c.id)).toEqual([
      'time-vs-batch',
      'throughput-vs-batch',
      'time-vs-data',
      'throughput-vs-data',
      'cost-vs-data',
    ]);
  });

  it('plots batch-size runs by batch size with mean and sd', () => {
    const [cloud] = chart('throughput-vs-batch').series;
    expect(cloud.label).toBe('cloud');
    // batch 32: 38 and 36 Mbps → 37 ± √2; batch 64: 46
    expect(cloud.points.map((p) => p.x)).toEqual([32, 64]);
    expect(cloud.points[0].y).toBeCloseTo(37, 12);
    expect(cloud.points[0].yErr).toBeCloseTo(Math.SQRT2, 12);
    expect(cloud.points[1]).toEqual({ x: 64, y: 46, yErr: null, n: 1 });
  });

  it('draws fp32 and int8 local runs as separate lines, never one averaged point', () => {
    const base = imported.runs.map((r) => measurementFromRecorded(r, 2048))[0];
    const local = (batchSize: number, secondsPerBatch: number, precision?: 'fp32' | 'int8'): StudyMeasurement => ({
      ...base,
      target: 'local',
      sweep: 'batch-size',
      batchSize,
      secondsPerBatch,
      ...(precision ? { precision } : {}),
    });
    const [time] = studyCharts([local(32, 1), local(32, 0.4, 'int8'), local(32, 0.6, 'int8'), local(64, 2, 'fp32')]);
    expect(time.series.map((s) => s.label)).toEqual(['local', 'local (int8)']);
    expect(time.series[0].points.map((p) => [p.x, p.y, p.n])).toEqual([
      [32, 1, 1],
      [64, 2, 1],
    ]);
    expect(time.series[1].points).toHaveLength(1);
    expect(time.series[1].points[0].y).toBeCloseTo(0.5, 12);
    expect(time.series[1].points[0].n).toBe(2);
  });

  it('plots data-size runs with one line per partition, x in GB (total = 12.6)', () => {
    const time = chart('time-vs-data');
    const lines = time.series;
    expect(lines.map((s) => s.label)).toEqual(['25 MB', '50 MB', '100 MB']);
    expect(lines[1].points.map((p) => p.x)).toEqual([1, 12.6]);
    // The same quantity as Table 2's "Average execution time (s/batch)", point for point.
    expect(time.yLabel).toBe('Average execution time (s/batch)');
    const t2 = table2(imported.runs.map((r) => measurementFromRecorded(r, 2048)));
    const gb = (label: string) => (label === 'total' ? 12.6 : Number(label.replace('GB', '')));
    let compared = 0;
    for (const row of t2.rows) {
      const line = lines.find((s) => s.label === `${row.partition_mb as number} MB`)!;
      const point = line.points.find((p) => p.x === gb(row.data_label as string))!;
      expect(point.y).toBeCloseTo(row.seconds_per_batch as number, 12);
      compared++;
    }
    expect(compared).toBeGreaterThan(3);
    const cost = chart('cost-vs-data').series[2];
    // 100 MB total: 50 s at 2 GB + 2 requests
    expect(cost.points[0].y).toBeCloseTo(100 * 0.0000166667 + 2 * 0.2e-6, 14);
  });
});
