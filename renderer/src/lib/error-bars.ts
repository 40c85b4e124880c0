import type { Chart, Plugin } from 'chart.js';

/**
 * Error bars drawn on the on-screen study charts, as the SVG export and the report draw them (the 95% CI where a
 * point has 3 or more repeats, else ± sample sd; base/error-bars.ts). A small Chart.js plugin of our own: each line
 * dataset may carry `errorBars`, one per point, in the y axis' units: a half-width (symmetric bar), or the bar's
 * {low, high} ends (an interval), or null (no bar).
 */

export type ErrorBarValue = number | { low: number; high: number } | null | undefined;

export interface ErrorBarSegment {
  x: number;
  top: number;
  bottom: number;
}

/** Pixel segments for one dataset: from y − err to y + err at each point that has an error. Pure, for tests. */
export function errorBarSegments(
  points: Array<{ x: number; y: number }>,
  errors: ErrorBarValue[],
  toPixelX: (v: number) => number,
  toPixelY: (v: number) => number,
): ErrorBarSegment[] {
  const out: ErrorBarSegment[] = [];
  points.forEach((p, i) => {
    const e = errors[i];
    if (e === null || e === undefined || !Number.isFinite(p.y)) return;
    const [lo, hi] = typeof e === 'number' ? [p.y - e, p.y + e] : [e.low, e.high];
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) return;
    const a = toPixelY(hi);
    const b = toPixelY(lo);
    out.push({ x: toPixelX(p.x), top: Math.min(a, b), bottom: Math.max(a, b) });
  });
  return out;
}

type WithBars = { errorBars?: ErrorBarValue[]; borderColor?: unknown; data: Array<{ x: number; y: number }> };

export const errorBarsPlugin: Plugin = {
  id: 'errorBars',
  afterDatasetsDraw(chart: Chart) {
    const { ctx, chartArea } = chart;
    const xScale = chart.scales.x;
    const yScale = chart.scales.y;
    if (!xScale || !yScale) return;
    let drawn = 0;
    ctx.save();
    ctx.beginPath();
    ctx.rect(chartArea.left, chartArea.top, chartArea.right - chartArea.left, chartArea.bottom - chartArea.top);
    ctx.clip();
    chart.data.datasets.forEach((raw, i) => {
      const ds = raw as unknown as WithBars;
      if (!ds.errorBars || !chart.isDatasetVisible(i)) return;
      const toX = (v: number) => xScale.getPixelForValue(v);
      const toY = (v: number) => yScale.getPixelForValue(v);
      const segs = errorBarSegments(ds.data, ds.errorBars, toX, toY);
      ctx.strokeStyle = typeof ds.borderColor === 'string' ? ds.borderColor : '#333';
      ctx.lineWidth = 1.5;
      const cap = 5;
      for (const s of segs) {
        ctx.beginPath();
        ctx.moveTo(s.x, s.top);
        ctx.lineTo(s.x, s.bottom);
        ctx.moveTo(s.x - cap, s.top);
        ctx.lineTo(s.x + cap, s.top);
        ctx.moveTo(s.x - cap, s.bottom);
        ctx.lineTo(s.x + cap, s.bottom);
        ctx.stroke();
      }
      drawn += segs.length;
    });
    ctx.restore();
    // How many bars are on screen, for the e2e check (a canvas cannot be inspected otherwise).
    chart.canvas.dataset.errorBars = String(drawn);
  },
};

/** The largest bar top (y + err, or the interval's high end), so the y axis leaves room for the top bar. */
export function maxWithErrors(
  series: Array<{ points: Array<{ y: number; yErr: number | null; ci?: { low: number; high: number } }> }>,
  mode: 'auto' | 'sd' = 'auto',
): number | undefined {
  const tops = series
    .flatMap((s) => s.points.map((p) => Math.max(p.y, mode === 'auto' && p.ci ? p.ci.high : p.y + (p.yErr ?? 0))))
    .filter(Number.isFinite);
  return tops.length ? Math.max(...tops) : undefined;
}
