import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_TABLE } from '../../base/price-table.ts';
import { folderSource } from '../../study/import/object-source.ts';
import { importRecordedRuns, measurementFromRecorded } from '../../study/import/recorded-runs.ts';
import type { StudyChart } from '../../study/charts.ts';
import { compareRuns } from '../../study/compare.ts';
import { studyReportHtml } from '../../study/report-html.ts';
import { chartSvg } from '../../base/svg-chart.ts';

describe('chart SVG', () => {
  const chart: StudyChart = {
    id: 'time-vs-batch',
    title: 'Time <vs> batch & size',
    xLabel: 'Batch size',
    yLabel: 'Execution time (s/batch)',
    series: [
      {
        label: 'local',
        points: [32, 64, 128, 256, 512].map((x, i) => ({ x, y: 0.1 * (i + 1), yErr: i === 0 ? 0.02 : null, n: 3 })),
      },
      { label: 'cloud', points: [{ x: 512, y: 0.9, yErr: null, n: 1 }] },
    ],
  };
  const svg = chartSvg(chart);

  it('draws each series with markers, error bars and a legend, escaping text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Time &lt;vs&gt; batch &amp; size');
    expect(svg.match(/<polyline /g)).toHaveLength(1); // one line; the single cloud point is a marker only
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).toContain('<title>local: 32 → 0.1 ± 0.02</title>');
    expect(svg).toMatch(/>local<\/text>[\s\S]*>cloud<\/text>/);
  });

  it('uses a log x axis with a tick per batch size, and keeps every point inside the axes', () => {
    expect(svg).toContain('Batch size (log scale)');
    for (const t of ['32', '64', '128', '256', '512']) expect(svg).toContain(`text-anchor="middle">${t}</text>`);
    // the plot area spans y = 36 … 290 (height 360 − bottom margin 70)
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(Math.min(...ys)).toBeGreaterThanOrEqual(36);
    expect(Math.max(...ys)).toBeLessThanOrEqual(290);
  });
});

describe('study report HTML', async () => {
  const imported = await importRecordedRuns(folderSource(path.resolve('tests/fixtures/recorded-results')));
  const runs = imported.runs.map((r) => measurementFromRecorded(r, 2048));
  const html = studyReportHtml({
    title: 'Recorded <study>',
    source: 'Recorded results from the fixture',
    runs,
    prices: DEFAULT_PRICE_TABLE,
    settings: [['Partition sizes (MB)', '25, 50, 100']],
    environment: [['Report made on', 'a test machine']],
    comparison: compareRuns({ label: 'run A', run: runs[3] }, { label: 'run B', run: runs[4] }),
    generatedAt: new Date('2026-11-28T12:00:00Z'),
  });

  it('has the summary, comparison, tables, charts, settings and environment, and nothing external', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<title>Recorded &lt;study&gt;</title>');
    expect(html).toContain('generated 2026-11-28 12:00 UTC');
    for (const h of ['Summary', 'Comparison', 'Tables', 'Charts', 'Settings', 'Environment'])
      expect(html).toContain(`<h2>${h}</h2>`);
    for (const t of [
      'Table 1. Execution Time vs Batch Size',
      'Table 2. Execution Time vs Input Partitions',
      'Table 3. Lambda Cost Summary',
    ])
      expect(html).toContain(`<h3>${t}</h3>`);
    expect(html).toContain('With total of data, 50 MB partitions give the highest throughput');
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).toContain('as of 2026-11-28');
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  it("prints the table numbers with their columns' digits", () => {
    // Table 2, 25 MB on 1GB: 2.100 s/batch, 0.099 Gbps
    expect(html).toMatch(/<td>1GB<\/td><td class="num">25<\/td><td class="num">2\.100<\/td>/);
  });
});
