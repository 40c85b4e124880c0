/**
 * Error bars on the study charts: the 95% t CI of the mean where a point has 3 or more repeats, else ± sd, and a
 * caption saying which; the same in the SVG export (base/svg-chart.ts) and on screen (renderer error-bars plugin).
 */
import { describe, expect, it } from 'vitest';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { studyCharts } from '../../study/charts.ts';
import { errorBarCaption, errorBarOf } from '../../base/error-bars.ts';
import { chartSvg } from '../../base/svg-chart.ts';
import { errorBarSegments, maxWithErrors } from '../../renderer/src/lib/error-bars.ts';

const T2 = 4.302653; // t(0.975, 2), published

const run = (batchSize: number, repeat: number, secondsPerBatch: number): StudyMeasurement => ({
  id: `r${batchSize}-${repeat}`,
  target: 'local',
  sweep: 'batch-size',
  batchSize,
  partitionMb: null,
  dataLabel: null,
  repeat,
  ranks: 1,
  secondsPerBatch,
  throughputBps: 1e6,
  memoryMb: 1024,
  cpuTimeSeconds: 1,
  samplesPerSec: 1,
  totalBits: 1,
  rankSecondsTotal: 1,
  rankSecondsSource: 'cpu-time',
});

// batch 32: 3 repeats (mean 2, sd 1) → CI; batch 64: 2 repeats (mean 3, sd √2) → sd; batch 128: 1 repeat → none
const runs = [run(32, 1, 1), run(32, 2, 2), run(32, 3, 3), run(64, 1, 2), run(64, 2, 4), run(128, 1, 5)];
const chart = studyCharts(runs).find((c) => c.id === 'time-vs-batch')!;
const [p32, p64, p128] = chart.series[0].points;
const half = (T2 * 1) / Math.sqrt(3);

describe('chart points', () => {
  it('carry the 95% t CI only with 3 or more repeats', () => {
    expect(p32.ci!.low).toBeCloseTo(2 - half, 6);
    expect(p32.ci!.high).toBeCloseTo(2 + half, 6);
    expect(p64.ci).toBeUndefined();
    expect(p64.yErr).toBeCloseTo(Math.SQRT2, 12);
    expect(p128).toEqual({ x: 128, y: 5, yErr: null, n: 1 });
  });

  it('draw the CI where n ≥ 3, else ± sd, and say so', () => {
    expect(errorBarOf(p32)).toEqual({ low: p32.ci!.low, high: p32.ci!.high, kind: 'ci95' });
    expect(errorBarOf(p64)).toEqual({ low: 3 - Math.SQRT2, high: 3 + Math.SQRT2, kind: 'sd' });
    expect(errorBarOf(p128)).toBeNull();
    expect(errorBarOf(p32, 'sd')).toEqual({ low: 1, high: 3, kind: 'sd' });
    expect(errorBarCaption(chart)).toBe(
      'Error bars: 95% CI of the mean (t, n − 1 df) where n ≥ 3 repeats, ± sd where n = 2.',
    );
    expect(errorBarCaption(chart, 'sd')).toBe('Error bars: ± sample sd over repeats (n − 1).');
    expect(errorBarCaption({ series: [{ label: '', points: [p32] }] })).toMatch(/every point has n ≥ 3/);
    expect(errorBarCaption({ series: [{ label: '', points: [p64] }] })).toMatch(/95% CI needs n ≥ 3/);
    expect(errorBarCaption({ series: [{ label: '', points: [p128] }] })).toBe('No error bars: one repeat per point.');
  });
});

describe('the SVG export', () => {
  const ends = (svg: string, kind: string) =>
    [
      ...svg.matchAll(
        new RegExp(
          `<line x1="[\\d.]+" x2="[\\d.]+" y1="([\\d.]+)" y2="([\\d.]+)" stroke="[^"]+" data-bar="${kind}"/>`,
          'g',
        ),
      ),
    ].map((m) => [Number(m[1]), Number(m[2])]);
  it('draws one CI bar and one sd bar, with the caption', () => {
    const svg = chartSvg(chart);
    expect(ends(svg, 'ci95')).toHaveLength(1);
    expect(ends(svg, 'sd')).toHaveLength(1);
    expect(svg).toContain('where n ≥ 3 repeats, ± sd where n = 2.');
    // The CI bar is longer than the ±sd bar it replaces would be (t·sd/√3 = 2.48 sd > sd).
    const [[a, b]] = ends(svg, 'ci95');
    const sdOnly = ends(chartSvg(chart, {}, 'sd'), 'sd');
    expect(sdOnly).toHaveLength(2);
    expect(Math.abs(a - b)).toBeGreaterThan(0);
    expect(svg).toContain('95% CI');
  });
});

describe('the on-screen bars', () => {
  it('span an interval given by its ends, or a symmetric half-width', () => {
    const px = (v: number) => v * 10;
    const py = (v: number) => 500 - v * 100;
    const segs = errorBarSegments(
      [
        { x: 1, y: 2 },
        { x: 2, y: 3 },
        { x: 3, y: 3 },
      ],
      [{ low: 1.5, high: 3 }, 0.5, { low: 2, high: 2 }],
      px,
      py,
    );
    expect(segs).toEqual([
      { x: 10, top: 200, bottom: 350 },
      { x: 20, top: 150, bottom: 250 },
    ]);
  });

  it('leave room for the top of a CI', () => {
    expect(maxWithErrors(chart.series)).toBeCloseTo(Math.max(2 + half, 3 + Math.SQRT2, 5), 6);
    expect(maxWithErrors([{ points: [{ y: 2, yErr: 1, ci: { low: 0, high: 4.5 } }] }], 'sd')).toBe(3);
  });
});
