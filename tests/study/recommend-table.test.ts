import { describe, expect, it } from 'vitest';
import { exportTable } from '../../base/table.ts';
import { memoryChartSvg } from '../../base/svg-memory-chart.ts';
import { measurementFromRunRecord } from '../../study/cloud-measurement.ts';
import { recommendMemory } from '../../study/recommend.ts';
import { recommendationChart, recommendationTable } from '../../study/recommend-table.ts';
import { SWEEP_3X3, sweepRecord } from '../support/memory-sweep-runs.ts';

/** The recommendation's table (and its exports) and its cost-vs-duration chart (SVG), from the shared 3 × 3 sweep. */

const runs = SWEEP_3X3.map((r) => measurementFromRunRecord(sweepRecord(r)));
const rec = recommendMemory(runs);

describe('the recommendation table', () => {
  const t = recommendationTable(rec);

  it('has one row per memory size, with the picks and the differences to the best', () => {
    expect(t.title).toBe('Lambda memory recommendation');
    expect(t.rows.map((r) => r.memory_mb)).toEqual([1024, 2048, 4096]);
    expect(t.rows.map((r) => r.pick)).toEqual(['', 'cheapest, balanced', 'fastest']);
    expect(t.rows[1].cost_vs_cheapest_pct).toBe(0);
    // 56 vs 40 GB-s: 4096 MB costs about 40% more than the cheapest (requests make it a little less).
    expect(t.rows[2].cost_vs_cheapest_pct).toBeCloseTo(39.97, 1);
    expect(t.rows[0].duration_vs_fastest_pct).toBeCloseTo(200, 9); // 10.5 s vs 3.5 s
    expect(t.rows[0].execution_s).toBe(16);
    expect(t.rows[2].duration_s_sd).toBe(0);
    expect(t.columns.find((c) => c.key === 'balanced_score')!.label).toBe('Balanced score (w = 0.5)');
    expect(t.columns.some((c) => c.key === 'configuration')).toBe(false);
  });

  it('states the formulas and the recommended size in its notes, and exports like the other tables', () => {
    expect(t.note).toContain('Recommended (balanced, w = 0.5): 2048 MB.');
    expect(t.note).toContain('w × cost ÷ max cost + (1 − w) × duration ÷ max duration');
    expect(t.note).toContain('Duration = mean rank duration');
    const csv = exportTable(t, 'csv').split('\r\n');
    expect(csv[0]).toBe(
      'Lambda memory (MB),Repeats,Cost per execution ($),± sd ($),Cost vs cheapest (%),Mean rank duration (s),' +
        '± sd (s),Duration vs fastest (%),Execution wall time (s),± sd (s),Balanced score (w = 0.5),Pick',
    );
    expect(csv[2]).toMatch(/^2048,3,0\.000667\d*,/);
    expect(exportTable(t, 'md')).toMatch(/\| 2048 \| 3 \| 0\.0006675 \|/);
    const tex = exportTable(t, 'tex');
    expect(tex).toMatch(/2048 & 3 & 0\.0006675 &/);
    expect(/^[\x20-\x7e\n]*$/.test(tex)).toBe(true);
    const json = JSON.parse(exportTable(t, 'json')) as { rows: Array<Record<string, unknown>> };
    expect(json.rows[2]).toMatchObject({ memory_mb: 4096, pick: 'fastest', repeats: 3 });
  });

  it('labels each row with its configuration when there are several groups', () => {
    const more = [...runs, ...runs.map((m) => ({ ...m, id: `${m.id}-b32`, batchSize: 32 }))];
    const t2 = recommendationTable(recommendMemory(more));
    expect(t2.columns[0].key).toBe('configuration');
    expect(t2.rows).toHaveLength(6);
    expect(String(t2.rows[0].configuration)).toContain('batch 32');
    expect(t2.note).toContain('batch sizes differ (32, 512)');
  });
});

describe('the cost-vs-duration chart', () => {
  const chart = recommendationChart(rec, rec.groups[0]);

  it('has one point per size at (mean rank duration, cost), with sd both ways and the picks named', () => {
    expect(chart.points.map((p) => [p.memoryMb, p.x])).toEqual([
      [1024, 10.5],
      [2048, 5],
      [4096, 3.5],
    ]);
    expect(chart.points[1].picks).toEqual(['cheapest', 'balanced (w = 0.5)']);
    expect(chart.points[2].picks).toEqual(['fastest']);
    expect(chart.points[0].picks).toEqual([]);
    expect(chart.points[0].xErr).toBeCloseTo(0.5, 12);
  });

  it('draws standalone SVG with every point labelled with its MB and the picks marked', () => {
    const svg = memoryChartSvg(chart);
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const mb of [1024, 2048, 4096]) expect(svg).toContain(`>${mb} MB</text>`);
    expect(svg).toContain('data-memory-mb="2048" data-picks="cheapest,balanced (w = 0.5)"');
    expect(svg).toContain('>cheapest, balanced (w = 0.5)</text>');
    expect(svg).toContain('>fastest</text>');
    expect(svg.match(/r="8"/g)).toHaveLength(2); // the rings around the two picked points
    expect(svg).toContain('Mean rank duration (s)');
    // Every coordinate is a number inside the canvas.
    for (const [, v] of svg.matchAll(/c[xy]="([^"]+)"/g)) expect(Number(v)).toBeGreaterThanOrEqual(0);
  });
});
