import type { StudyChart } from './chart-data.ts';
import { errorBarCaption, errorBarOf, type ErrorBarMode } from './error-bars.ts';

/**
 * A study chart as a standalone SVG (lines with markers and error bars — the 95% CI where a point has 3 or more
 * repeats, else ± sd, as base/error-bars.ts says — axes, legend, a caption naming the bars), for the HTML report and
 * the SVG export; no DOM, no fonts to load. The x axis is logarithmic when the values span 16× or more (batch sizes
 * 32…512, data sizes 1…1000 GB), with a tick at each value measured.
 */

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  // From the tick at or below lo to the tick at or above hi, so every point is inside the axes.
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  for (let v = first; v <= last + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const label = (v: number): string =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4)));

export function chartSvg(
  chart: StudyChart,
  size: { width?: number; height?: number } = {},
  mode: ErrorBarMode = 'auto',
): string {
  const W = size.width ?? 640;
  const H = size.height ?? 360;
  const m = { left: 70, right: 20, top: 36, bottom: 70 };
  const pts = chart.series.flatMap((s) => s.points);
  const xs = [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b);
  const bar = (p: (typeof pts)[number]) => errorBarOf(p, mode);
  const ylo = Math.min(0, ...pts.map((p) => Math.min(p.y, bar(p)?.low ?? p.y)));
  const yhi = Math.max(...pts.map((p) => Math.max(p.y, bar(p)?.high ?? p.y)), 0);
  const yTicks = niceTicks(ylo, yhi === ylo ? ylo + 1 : yhi);
  const y0 = yTicks[0];
  const y1 = yTicks[yTicks.length - 1];
  const logX = xs.length > 1 && xs[0] > 0 && xs[xs.length - 1] / xs[0] >= 16;
  const xlo = xs[0] ?? 0;
  const xhi = xs.length > 1 ? xs[xs.length - 1] : xlo + 1;
  const fx = (x: number) => {
    const t = logX ? (Math.log(x) - Math.log(xlo)) / (Math.log(xhi) - Math.log(xlo)) : (x - xlo) / (xhi - xlo || 1);
    return m.left + t * (W - m.left - m.right);
  };
  const fy = (y: number) => H - m.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - m.top - m.bottom);
  const xTicks = logX || xs.length <= 8 ? xs : niceTicks(xlo, xhi);
  const n = (v: number) => v.toFixed(1);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="${esc(chart.title)}">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(chart.title)}</text>`,
    `<text x="${W / 2}" y="32" text-anchor="middle" font-size="10" fill="#555" class="error-bar-caption">${esc(errorBarCaption(chart, mode))}</text>`,
  ];
  for (const t of yTicks)
    parts.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${n(fy(t))}" y2="${n(fy(t))}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${n(fy(t) + 4)}" text-anchor="end">${label(t)}</text>`,
    );
  for (const t of xTicks)
    parts.push(`<text x="${n(fx(t))}" y="${H - m.bottom + 16}" text-anchor="middle">${label(t)}</text>`);
  parts.push(
    `<line x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}" stroke="#333"/>`,
    `<text x="${(m.left + W - m.right) / 2}" y="${H - m.bottom + 34}" text-anchor="middle">${esc(chart.xLabel)}${logX ? ' (log scale)' : ''}</text>`,
    `<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    if (s.points.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${c}" stroke-width="2" points="${s.points.map((p) => `${n(fx(p.x))},${n(fy(p.y))}`).join(' ')}"/>`,
      );
    for (const p of s.points) {
      const b = bar(p);
      if (b)
        parts.push(
          `<line x1="${n(fx(p.x))}" x2="${n(fx(p.x))}" y1="${n(fy(b.low))}" y2="${n(fy(b.high))}" stroke="${c}" data-bar="${b.kind}"/>`,
        );
      const what = !b
        ? ''
        : b.kind === 'ci95'
          ? ` (95% CI ${label(b.low)} to ${label(b.high)}, n = ${p.n})`
          : ` ± ${label(p.yErr!)}`;
      parts.push(
        `<circle cx="${n(fx(p.x))}" cy="${n(fy(p.y))}" r="3.5" fill="${c}"><title>${esc(s.label)}: ${label(p.x)} → ${label(p.y)}${esc(what)}</title></circle>`,
      );
    }
    const lx = m.left + 10 + i * 110;
    parts.push(
      `<rect x="${lx}" y="${H - 22}" width="12" height="12" fill="${c}"/>`,
      `<text x="${lx + 16}" y="${H - 12}">${esc(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** For the other SVG charts (base/svg-memory-chart.ts): the same ticks and tick labels. */
export { niceTicks, label as tickLabel };
