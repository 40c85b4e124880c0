import { PHASE_LABELS, TIMELINE_PHASES, type RankTimeline, type TimelinePhaseName } from './rank-timeline.ts';

/**
 * A cloud run's rank timeline as two standalone SVGs (as base/svg-chart.ts draws the study charts: no DOM, no
 * fonts to load), shown in the run's page and exported as they are: a Gantt chart (one bar per rank, its phases
 * coloured, a legend, time in s from the execution's start) and the measured concurrency over time as a step chart
 * with its peak marked.
 */

export const PHASE_COLORS: Record<TimelinePhaseName, string> = {
  init: '#d62728',
  load: '#ff7f0e',
  inference: '#1f77b4',
  other: '#b0b0b0',
};

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => v.toFixed(1);
/** `<name a="v" …>body</name>`, or self-closing without a body; values are numbers or already escaped text. */
const el = (name: string, attrs: Record<string, string | number>, body?: string): string => {
  const a = Object.entries(attrs)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ');
  return body === undefined ? `<${name} ${a}/>` : `<${name} ${a}>${body}</${name}>`;
};
const svgOpen = (W: number, H: number, title: string, chart: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
  `font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="${esc(title)}" ` +
  `data-chart="${chart}">`;
const secs = (v: number) => String(Number(v.toPrecision(4)));

function ticks(hi: number, count = 6): number[] {
  const top = hi > 0 ? hi : 1;
  const raw = top / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v <= top + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1] < top) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

/** The time axis' end: the execution's end, or the last thing drawn. */
function timeEnd(t: RankTimeline): number {
  const ends = t.ranks.flatMap((r) => [r.ended ?? 0, ...r.phases.map((p) => p.start + p.seconds)]);
  return Math.max(t.executionSeconds ?? 0, ...ends, ...t.concurrency.map((s) => s.t));
}

/** "rank 3", or with several executions (failed ranks re-run) "rank 3 · re-run 1". */
function laneLabel(t: RankTimeline, r: RankTimeline['ranks'][number]): string {
  const lane = r.rank !== null ? `rank ${r.rank}` : `#${r.index ?? '?'}`;
  const exec = r.execution !== undefined ? t.executions?.[r.execution]?.label : undefined;
  return exec ? `${lane} · ${exec}` : lane;
}

export function rankGanttSvg(t: RankTimeline, opts: { width?: number; title?: string } = {}): string {
  const W = opts.width ?? 800;
  const title = opts.title ?? 'Rank timeline';
  const bar = t.ranks.length > 40 ? 6 : 14;
  const gap = t.ranks.length > 40 ? 2 : 6;
  const m = { left: t.executions?.length ? 130 : 70, right: 20, top: 36, bottom: 64 };
  const H = m.top + t.ranks.length * (bar + gap) + m.bottom;
  const xs = ticks(timeEnd(t));
  const x1 = xs[xs.length - 1];
  const fx = (s: number) => m.left + (s / x1) * (W - m.left - m.right);
  const axisY = H - m.bottom;
  const parts: string[] = [
    svgOpen(W, H, title, 'rank-gantt'),
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const v of xs)
    parts.push(
      `<line x1="${n(fx(v))}" x2="${n(fx(v))}" y1="${m.top}" y2="${axisY}" stroke="#e5e5e5"/>`,
      `<text x="${n(fx(v))}" y="${axisY + 16}" text-anchor="middle">${secs(v)}</text>`,
    );
  parts.push(
    `<line x1="${m.left}" x2="${W - m.right}" y1="${axisY}" y2="${axisY}" stroke="#333"/>`,
    el(
      'text',
      { x: (m.left + W - m.right) / 2, y: axisY + 32, 'text-anchor': 'middle' },
      'Time from execution start (s)',
    ),
  );
  t.ranks.forEach((r, i) => {
    const y = m.top + i * (bar + gap);
    const failed = r.status !== 'succeeded';
    const font = bar > 10 ? 11 : 8;
    parts.push(
      `<g data-rank-bar="${esc(String(r.rank ?? r.index ?? i))}" data-status="${r.status}">`,
      el(
        'text',
        {
          x: m.left - 6,
          y: n(y + bar - 2),
          'text-anchor': 'end',
          'font-size': font,
          fill: failed ? '#d62728' : '#000',
        },
        esc(laneLabel(t, r)),
      ),
    );
    if (r.submitted !== null && r.started !== null && r.started > r.submitted)
      parts.push(
        el(
          'line',
          { x1: n(fx(r.submitted)), x2: n(fx(r.started)), y1: n(y + bar / 2), y2: n(y + bar / 2) },
          `<title>${esc(laneLabel(t, r))}: waiting ${secs(r.started - r.submitted)} s after submission</title>`,
        ).replace('<line ', '<line stroke="#999" stroke-dasharray="2 2" '),
      );
    for (const p of r.phases) {
      const w = fx(p.start + p.seconds) - fx(p.start);
      if (w <= 0) continue;
      parts.push(
        el(
          'rect',
          {
            x: n(fx(p.start)),
            y: n(y),
            width: Math.max(0.5, w).toFixed(2),
            height: bar,
            fill: PHASE_COLORS[p.phase],
            'data-phase': p.phase,
          },
          `<title>${esc(`${laneLabel(t, r)} · ${PHASE_LABELS[p.phase]}: ${secs(p.seconds)} s (${p.source})`)}</title>`,
        ),
      );
    }
    if (failed && r.ended !== null)
      parts.push(
        el('text', { x: n(fx(r.ended) + 3), y: n(y + bar - 2), 'font-size': font, fill: '#d62728' }, r.status),
      );
    parts.push('</g>');
  });
  TIMELINE_PHASES.forEach((p, i) => {
    const lx = m.left + i * 150;
    parts.push(
      `<rect x="${lx}" y="${H - 20}" width="12" height="12" fill="${PHASE_COLORS[p]}"/>`,
      `<text x="${lx + 16}" y="${H - 10}">${esc(PHASE_LABELS[p])}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function concurrencySvg(t: RankTimeline, opts: { width?: number; height?: number; title?: string } = {}) {
  const W = opts.width ?? 800;
  const H = opts.height ?? 260;
  const title = opts.title ?? 'Measured concurrency';
  const m = { left: 70, right: 20, top: 36, bottom: 48 };
  const xs = ticks(timeEnd(t));
  const x1 = xs[xs.length - 1];
  const ys = ticks(Math.max(1, t.peak), Math.min(5, Math.max(1, t.peak))).filter((v) => Number.isInteger(v));
  const y1 = ys[ys.length - 1];
  const fx = (s: number) => m.left + (s / x1) * (W - m.left - m.right);
  const fy = (v: number) => H - m.bottom - (v / y1) * (H - m.top - m.bottom);
  const parts: string[] = [
    svgOpen(W, H, title, 'concurrency'),
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const v of ys)
    parts.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${n(fy(v))}" y2="${n(fy(v))}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${n(fy(v) + 4)}" text-anchor="end">${v}</text>`,
    );
  for (const v of xs)
    parts.push(`<text x="${n(fx(v))}" y="${H - m.bottom + 16}" text-anchor="middle">${secs(v)}</text>`);
  parts.push(
    `<line x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}" stroke="#333"/>`,
    el(
      'text',
      { x: (m.left + W - m.right) / 2, y: H - m.bottom + 32, 'text-anchor': 'middle' },
      'Time from execution start (s)',
    ),
    el(
      'text',
      { transform: `translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)`, 'text-anchor': 'middle' },
      'Ranks running',
    ),
  );
  // A step function: the count holds until the next change.
  const pts: string[] = [`${n(fx(0))},${n(fy(0))}`];
  let prev = 0;
  for (const s of t.concurrency) {
    pts.push(`${n(fx(s.t))},${n(fy(prev))}`, `${n(fx(s.t))},${n(fy(s.running))}`);
    prev = s.running;
  }
  pts.push(`${n(fx(x1))},${n(fy(prev))}`);
  parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${pts.join(' ')}"/>`);
  if (t.peakAt !== null) {
    const px = fx(t.peakAt);
    const py = fy(t.peak);
    const anchor = px > W - 200 ? 'end' : 'start';
    parts.push(
      `<g data-peak="${t.peak}" data-peak-at="${t.peakAt}">`,
      el(
        'circle',
        { cx: n(px), cy: n(py), r: 4.5, fill: '#d62728' },
        `<title>Peak: ${t.peak} ranks at ${secs(t.peakAt)} s</title>`,
      ),
      el(
        'text',
        {
          x: n(px + (anchor === 'start' ? 8 : -8)),
          y: n(Math.max(m.top + 10, py - 6)),
          'text-anchor': anchor,
          fill: '#d62728',
        },
        `peak ${t.peak} at ${secs(t.peakAt)} s`,
      ),
      '</g>',
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
