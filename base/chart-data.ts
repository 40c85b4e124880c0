/** A study chart as plain data (the study computes it; the renderer and the SVG writer draw it). */

export interface ChartPoint {
  x: number;
  y: number;
  /** Sample sd over repeats; null with one repeat. */
  yErr: number | null;
  n: number;
  /** The 95% CI of the mean (t-based, n − 1 df); present only for n ≥ 3 repeats. */
  ci?: { low: number; high: number };
}

export interface ChartSeries {
  label: string;
  points: ChartPoint[];
}

export interface StudyChart {
  id: 'time-vs-batch' | 'throughput-vs-batch' | 'time-vs-data' | 'throughput-vs-data' | 'cost-vs-data';
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
}
