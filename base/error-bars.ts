import type { ChartPoint, StudyChart } from './chart-data.ts';

/**
 * Which error bar a study chart draws at each point, shared by the on-screen chart, the SVG export and the report:
 * - 'auto' (the default): the 95% CI of the mean (t-based, n − 1 df) where the point has 3 or more repeats, else
 *   ± the sample sd (2 repeats), else none (1 repeat);
 * - 'sd': ± the sample sd everywhere (none with 1 repeat).
 */
export type ErrorBarMode = 'auto' | 'sd';

export interface ErrorBar {
  low: number;
  high: number;
  kind: 'ci95' | 'sd';
}

export function errorBarOf(p: ChartPoint, mode: ErrorBarMode = 'auto'): ErrorBar | null {
  if (mode === 'auto' && p.ci) return { low: p.ci.low, high: p.ci.high, kind: 'ci95' };
  if (p.yErr === null || !Number.isFinite(p.yErr) || p.yErr <= 0) return null;
  return { low: p.y - p.yErr, high: p.y + p.yErr, kind: 'sd' };
}

/** The legend line saying what the bars are, from the kinds actually drawn; '' when the chart has no bars. */
export function errorBarCaption(chart: Pick<StudyChart, 'series'>, mode: ErrorBarMode = 'auto'): string {
  const kinds = new Set(
    chart.series.flatMap((s) => s.points.map((p) => errorBarOf(p, mode)?.kind)).filter((k) => k !== undefined),
  );
  const ci = '95% CI of the mean (t, n − 1 df)';
  if (kinds.size === 0) return 'No error bars: one repeat per point.';
  if (kinds.has('ci95') && kinds.has('sd')) return `Error bars: ${ci} where n ≥ 3 repeats, ± sd where n = 2.`;
  if (kinds.has('ci95')) return `Error bars: ${ci}; every point has n ≥ 3 repeats.`;
  return mode === 'sd'
    ? 'Error bars: ± sample sd over repeats (n − 1).'
    : 'Error bars: ± sample sd over repeats (n − 1); a 95% CI needs n ≥ 3 repeats.';
}
