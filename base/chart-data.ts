/** A study chart as plain data (the study computes it; the renderer and the SVG writer draw it). */

export interface ChartPoint {
  x: number;
  y: number;
  /** Sample sd over repeats; null with one repeat. */
  yErr: number | null;
  n: number;
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
