import { describe, expect, it } from 'vitest';
import { measurementFromRunRecord } from '../../study/cloud-measurement.ts';
import { studyCharts } from '../../study/charts.ts';
import { summarizeFindings } from '../../study/summary.ts';
import { SWEEP_3X3, sweepRecord } from '../support/memory-sweep-runs.ts';
import { cloudMeasurement } from '../support/study-measurement.ts';

/**
 * A memory sweep's sizes are separate configurations in the charts and the summary too (as in Tables 1–3): never one
 * point, one sentence or one "repeats differ" figure over several sizes. Expected values by hand.
 */

// Batch-size sweep in the cloud at two memory sizes, one repeat each: 1024 MB 2 s and 3 s per batch at batch 16 and
// 32; 2048 MB 1 s and 1.2 s. Averaged over memory (the old behaviour) batch 16 would read 1.5 s, "repeats" 47%.
const batchSweep = [
  cloudMeasurement({ id: 'a', sweep: 'batch-size', batchSize: 16, lambdaMemoryMb: 1024, secondsPerBatch: 2 }),
  cloudMeasurement({ id: 'b', sweep: 'batch-size', batchSize: 32, lambdaMemoryMb: 1024, secondsPerBatch: 3 }),
  cloudMeasurement({ id: 'c', sweep: 'batch-size', batchSize: 16, lambdaMemoryMb: 2048, secondsPerBatch: 1 }),
  cloudMeasurement({ id: 'd', sweep: 'batch-size', batchSize: 32, lambdaMemoryMb: 2048, secondsPerBatch: 1.2 }),
];

describe('charts of a memory sweep', () => {
  it('draw one line per memory size, each point from that size alone', () => {
    const chart = studyCharts(batchSweep).find((c) => c.id === 'time-vs-batch')!;
    expect(chart.series.map((s) => [s.label, s.points.map((p) => [p.x, p.y, p.n])])).toEqual([
      [
        'cloud · 1024 MB Lambda',
        [
          [16, 2, 1],
          [32, 3, 1],
        ],
      ],
      [
        'cloud · 2048 MB Lambda',
        [
          [16, 1, 1],
          [32, 1.2, 1],
        ],
      ],
    ]);
  });

  it('cost per execution per size: 2048 MB = 20 s × 2 GB × $0.0000166667 + 4 × $0.0000002 over 3 repeats', () => {
    const runs = SWEEP_3X3.map((r) => measurementFromRunRecord(sweepRecord(r)));
    const cost = studyCharts(runs).find((c) => c.id === 'cost-vs-data')!;
    expect(cost.series.map((s) => s.label)).toEqual([
      '25 MB · 1024 MB Lambda',
      '25 MB · 2048 MB Lambda',
      '25 MB · 4096 MB Lambda',
    ]);
    const p = cost.series[1].points[0];
    expect(p.n).toBe(3);
    expect(p.y).toBeCloseTo(20 * 2 * 0.0000166667 + 4 * 0.0000002, 12);
  });

  it('keep the plain labels when one memory size was used', () => {
    const one = batchSweep.filter((m) => m.lambdaMemoryMb === 2048);
    expect(
      studyCharts(one)
        .find((c) => c.id === 'time-vs-batch')!
        .series.map((s) => s.label),
    ).toEqual(['cloud']);
  });
});

describe('the summary of a memory sweep', () => {
  it('says each size on its own and does not call two sizes "repeats"', () => {
    expect(summarizeFindings(batchSweep)).toEqual([
      'Cloud at 1024 MB Lambda memory: execution time per batch goes from 2 s at batch 16 to 3 s at batch 32; ' +
        'throughput is highest at batch 16 (1000 Mbps).',
      'Cloud at 2048 MB Lambda memory: execution time per batch goes from 1 s at batch 16 to 1.2 s at batch 32; ' +
        'throughput is highest at batch 16 (1000 Mbps).',
      'Each configuration ran once, so there is no spread between repeats to report.',
      // Both sizes: Σ rank s 100 over 4 ranks (cloudMeasurement): 25 s mean rank duration; 1024 MB costs
      // 100 s × 1 GB × $0.0000166667 + 4 × $0.0000002 = $0.0016675, half of 2048 MB's; one group per batch size.
      ...[16, 32].map(
        (b) =>
          `Lambda memory (1GB · 25 MB partitions · batch ${b} · 4 ranks · fp32): cheapest at 1024 MB ($0.00167 per ` +
          'execution), fastest at 1024 MB (25 s mean rank duration); balanced (w = 0.5) 1024 MB.',
      ),
    ]);
  });

  it('names the three picks of the recommendation: 2048 MB cheapest, 4096 MB fastest (14 s ÷ 4 ranks)', () => {
    const runs = SWEEP_3X3.map((r) => measurementFromRunRecord(sweepRecord(r)));
    const findings = summarizeFindings(runs);
    expect(findings.at(-1)).toBe(
      'Lambda memory: cheapest at 2048 MB ($0.000667 per execution), fastest at 4096 MB (3.5 s mean rank duration); ' +
        'balanced (w = 0.5) 2048 MB.',
    );
    expect(findings.filter((f) => f.startsWith('One execution over 1GB at '))).toHaveLength(3);
  });

  it('says when the sizes were emulated on this computer', () => {
    const runs = SWEEP_3X3.map((r) => ({ ...measurementFromRunRecord(sweepRecord(r)), emulated: true }));
    expect(summarizeFindings(runs).at(-1)).toMatch(
      /balanced \(w = 0\.5\) 2048 MB\. Emulated on this computer: the durations are this computer's, not AWS Lambda's\.$/,
    );
  });
});
