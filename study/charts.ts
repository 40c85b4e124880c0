import type { LambdaArch, PriceTable } from '../base/price-table.ts';
import { precisionOf, type StudyMeasurement } from './measurement.ts';
import { meanStd, MIN_REPEATS_FOR_CI, tMeanCI } from './stats.ts';
import type { ChartSeries, StudyChart } from '../base/chart-data.ts';
import { dataLabelGb, executionCostUsd } from './tables.ts';
import { memoryKeyOf, memorySuffix, memorySwept } from './memory-key.ts';

export type { ChartPoint, ChartSeries, StudyChart } from '../base/chart-data.ts';

/**
 * The study's charts as plain data (the renderer draws them with chart.js): each point is the mean over repeats with
 * the sample standard deviation and, for 3 or more repeats, the 95% t CI of the mean (base/error-bars.ts picks the
 * bar drawn).
 */

function series(
  label: string,
  runs: StudyMeasurement[],
  x: (m: StudyMeasurement) => number | null,
  y: (m: StudyMeasurement) => number,
): ChartSeries {
  const byX = new Map<number, number[]>();
  for (const m of runs) {
    const xv = x(m);
    const yv = y(m);
    if (xv === null || !Number.isFinite(yv)) continue;
    if (!byX.has(xv)) byX.set(xv, []);
    byX.get(xv)!.push(yv);
  }
  const points = [...byX.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([xv, ys]) => {
      const s = meanStd(ys);
      const ci = s.n >= MIN_REPEATS_FOR_CI ? tMeanCI(ys) : null;
      return { x: xv, y: s.mean, yErr: s.std, n: s.n, ...(ci ? { ci: { low: ci.low, high: ci.high } } : {}) };
    });
  return { label, points };
}

const split = <K>(runs: StudyMeasurement[], key: (m: StudyMeasurement) => K): Map<K, StudyMeasurement[]> => {
  const out = new Map<K, StudyMeasurement[]>();
  for (const m of runs) {
    const k = key(m);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push(m);
  }
  return out;
};

export interface ChartOptions {
  lambdaMemoryMb?: number;
  arch?: LambdaArch;
  prices?: PriceTable;
}

/**
 * Runs split into one line per key, precision and (in a memory sweep) Lambda memory, so fp32 and int8 runs, or two
 * memory sizes, are never averaged into one point; an int8 line and a memory size say so in the label. Lines are
 * ordered by key, then memory, fp32 before int8.
 */
function lines<K extends string | number>(
  runs: StudyMeasurement[],
  key: (m: StudyMeasurement) => K,
  label: (k: K) => string,
  swept: boolean,
): Array<[string, StudyMeasurement[]]> {
  const mem = (m: StudyMeasurement) => memoryKeyOf(m, swept);
  const parts = [...split(runs, (m) => `${key(m)}|${precisionOf(m)}|${mem(m)}`).values()].map((rs) => ({
    k: key(rs[0]),
    int8: precisionOf(rs[0]) === 'int8',
    memory: mem(rs[0]),
    rs,
  }));
  parts.sort(
    (a, b) =>
      (typeof a.k === 'number' && typeof b.k === 'number' ? a.k - b.k : String(a.k).localeCompare(String(b.k))) ||
      (a.memory ?? Infinity) - (b.memory ?? Infinity) ||
      Number(a.int8) - Number(b.int8),
  );
  return parts.map(({ k, int8, memory, rs }) => [`${label(k)}${memorySuffix(memory)}${int8 ? ' (int8)' : ''}`, rs]);
}

export function studyCharts(runs: StudyMeasurement[], opts: ChartOptions = {}): StudyChart[] {
  const batchRuns = runs.filter((r) => r.sweep !== 'data-size');
  const dataRuns = runs.filter(
    (r) => r.sweep !== 'batch-size' && r.partitionMb !== null && dataLabelGb(r.dataLabel) !== null,
  );
  const mb = (p: number) => `${p} MB`;
  const swept = memorySwept(runs);
  const byTarget = lines(batchRuns, (r) => r.target, String, swept);
  const byPartition = lines(dataRuns, (r) => r.partitionMb!, mb, swept);
  const cloudByPartition = lines(
    dataRuns.filter((r) => r.target === 'cloud'),
    (r) => r.partitionMb!,
    mb,
    swept,
  );
  const cost = (m: StudyMeasurement) => executionCostUsd(m, opts);
  const gb = (m: StudyMeasurement) => dataLabelGb(m.dataLabel);

  const charts: StudyChart[] = [
    {
      id: 'time-vs-batch',
      title: 'Execution time vs batch size',
      xLabel: 'Batch size',
      yLabel: 'Execution time (s/batch)',
      series: byTarget.map(([t, rs]) =>
        series(
          t,
          rs,
          (m) => m.batchSize,
          (m) => m.secondsPerBatch,
        ),
      ),
    },
    {
      id: 'throughput-vs-batch',
      title: 'Throughput vs batch size',
      xLabel: 'Batch size',
      yLabel: 'Throughput (Mbps)',
      series: byTarget.map(([t, rs]) =>
        series(
          t,
          rs,
          (m) => m.batchSize,
          (m) => m.throughputBps / 1e6,
        ),
      ),
    },
    {
      id: 'time-vs-data',
      // The quantity of Table 2's "Average execution time" column, so the chart and the table agree.
      title: 'Execution time vs data size, per partition size',
      xLabel: 'Data (GB)',
      yLabel: 'Average execution time (s/batch)',
      series: byPartition.map(([p, rs]) => series(p, rs, gb, (m) => m.secondsPerBatch)),
    },
    {
      id: 'throughput-vs-data',
      title: 'Throughput vs data size, per partition size',
      xLabel: 'Data (GB)',
      yLabel: 'Throughput (Gbps)',
      series: byPartition.map(([p, rs]) => series(p, rs, gb, (m) => m.throughputBps / 1e9)),
    },
    {
      id: 'cost-vs-data',
      title: 'Lambda cost vs data size, per partition size',
      xLabel: 'Data (GB)',
      yLabel: 'Cost per execution ($)',
      series: cloudByPartition.map(([p, rs]) => series(p, rs, gb, cost)),
    },
  ];
  return charts.filter((c) => c.series.some((s) => s.points.length > 0));
}
