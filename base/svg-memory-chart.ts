import { niceTicks, tickLabel } from './svg-chart.ts';

/**
 * The memory recommendation's chart: cost of one execution against duration, one point per Lambda memory size,
 * labelled with its MB, ± sd bars both ways, and the picks (cheapest, fastest, balanced) marked and named. Plain
 * data plus a standalone SVG writer (no DOM), for the Study screen, the SVG export and the tests.
 */

export interface MemoryChartPoint {
  memoryMb: number;
  /** Mean rank duration, s. */
  x: number;
  /** Mean cost of one execution, USD. */
  y: number;
  xErr: number | null;
  yErr: number | null;
  repeats: number;
  /** "cheapest", "fastest", "balanced" (w = …): the picks this size is. */
  picks: string[];
}

export interface MemoryChart {
  title: string;
  xLabel: string;
  yLabel: string;
  points: MemoryChartPoint[];
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const PICK = '#d62728';
const OTHER = '#1f77b4';

export function memoryChartSvg(chart: MemoryChart, size: { width?: number; height?: number } = {}): string {
  const W = size.width ?? 640;
  const H = size.height ?? 380;
  const m = { left: 80, right: 30, top: 36, bottom: 56 };
  const pts = chart.points;
  const xhi = Math.max(0, ...pts.map((p) => p.x + (p.xErr ?? 0)));
  const yhi = Math.max(0, ...pts.map((p) => p.y + (p.yErr ?? 0)));
  const xTicks = niceTicks(0, xhi > 0 ? xhi * 1.1 : 1);
  const yTicks = niceTicks(0, yhi > 0 ? yhi * 1.15 : 1);
  const x1 = xTicks[xTicks.length - 1];
  const y1 = yTicks[yTicks.length - 1];
  const fx = (x: number) => m.left + (x / (x1 || 1)) * (W - m.left - m.right);
  const fy = (y: number) => H - m.bottom - (y / (y1 || 1)) * (H - m.top - m.bottom);
  const n = (v: number) => v.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="${esc(chart.title)}">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  for (const t of yTicks)
    parts.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${n(fy(t))}" y2="${n(fy(t))}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${n(fy(t) + 4)}" text-anchor="end">${tickLabel(t)}</text>`,
    );
  for (const t of xTicks)
    parts.push(`<text x="${n(fx(t))}" y="${H - m.bottom + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  parts.push(
    `<line x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}" stroke="#333"/>`,
    `<text x="${(m.left + W - m.right) / 2}" y="${H - m.bottom + 36}" text-anchor="middle">${esc(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">` +
      `${esc(chart.yLabel)}</text>`,
  );
  const byMemory = [...pts].sort((a, b) => a.memoryMb - b.memoryMb);
  if (byMemory.length > 1)
    parts.push(
      `<polyline fill="none" stroke="#bbb" stroke-dasharray="4 3" points="${byMemory
        .map((p) => `${n(fx(p.x))},${n(fy(p.y))}`)
        .join(' ')}"/>`,
    );
  for (const p of byMemory) {
    const c = p.picks.length ? PICK : OTHER;
    const cx = fx(p.x);
    const cy = fy(p.y);
    if (p.xErr)
      parts.push(
        `<line x1="${n(fx(p.x - p.xErr))}" x2="${n(fx(p.x + p.xErr))}" y1="${n(cy)}" y2="${n(cy)}" ` +
          `stroke="${c}"/>`,
      );
    if (p.yErr)
      parts.push(
        `<line x1="${n(cx)}" x2="${n(cx)}" y1="${n(fy(p.y - p.yErr))}" y2="${n(fy(p.y + p.yErr))}" ` +
          `stroke="${c}"/>`,
      );
    const tip = `${p.memoryMb} MB: duration ${tickLabel(p.x)} s, cost $${p.y.toPrecision(4)} (n = ${p.repeats})`;
    parts.push(
      `<g class="memory-point" data-memory-mb="${p.memoryMb}" data-picks="${esc(p.picks.join(','))}">`,
      p.picks.length ? `<circle cx="${n(cx)}" cy="${n(cy)}" r="8" fill="none" stroke="${PICK}" stroke-width="2"/>` : '',
      `<circle cx="${n(cx)}" cy="${n(cy)}" r="4" fill="${c}"><title>${esc(tip)}</title></circle>`,
      `<text x="${n(cx + 11)}" y="${n(cy - 6)}" font-weight="bold">${p.memoryMb} MB</text>`,
      p.picks.length ? `<text x="${n(cx + 11)}" y="${n(cy + 9)}" fill="${PICK}">${esc(p.picks.join(', '))}</text>` : '',
      '</g>',
    );
  }
  parts.push('</svg>');
  return parts.filter(Boolean).join('\n');
}
