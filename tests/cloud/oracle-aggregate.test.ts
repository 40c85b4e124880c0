import { describe, expect, it } from 'vitest';
import {
  AGGREGATE_DEFINITIONS,
  AggregatableRankSchema,
  aggregateRanks,
  RankResultSchema,
  removeOutliersAndMean,
} from '../../cloud/aggregate.ts';
import { percentiles } from '../../engine/run/percentiles.ts';
import { prng } from '../support/fuzz-prng.ts';
import { pythonOracle } from '../support/python-oracle.ts';

// The study's rule (aws/stats.py remove_outliers_and_mean), written again here in numpy as the oracle:
// quartiles by np.percentile (linear), keep lo <= x <= hi with lo/hi = Q1/Q3 ∓ 1.5·IQR, mean of the kept values.
const NUMPY_RULE = `
import json, sys
import numpy as np
out = []
for xs in json.load(sys.stdin):
    a = np.array(xs, dtype=np.float64)
    q1, q3 = np.percentile(a, 25), np.percentile(a, 75)
    iqr = q3 - q1
    kept = a[(a >= q1 - 1.5 * iqr) & (a <= q3 + 1.5 * iqr)]
    out.append({"q1": float(q1), "q3": float(q3), "kept": int(kept.size), "mean": float(kept.mean()),
                "p": [float(v) for v in np.percentile(a, [0, 5, 50, 90, 95, 99, 100])]})
print(json.dumps(out))
`;

const rank = (cpu: number, bps = 1, mem = 1) => ({
  'total_cpu_time (seconds)': cpu,
  'total_cpu_memory (MB)': mem,
  throughput_bps: bps,
});

describe('outlier rule: values between 1.5 and 3 IQR from the quartiles (hand-computed)', () => {
  it('drops a high value beyond Q3 + 1.5·IQR that Q3 + 3·IQR would keep', () => {
    // sorted 10,11,12,13,18: Q1 11, Q3 13, IQR 2 → 1.5·IQR bounds [8, 16]; 3·IQR would be [5, 19] and keep 18.
    const r = removeOutliersAndMean([18, 10, 12, 11, 13]);
    expect(r).toEqual({ mean: 11.5, kept: 4, dropped: 1, q1: 11, q3: 13 });
    const a = aggregateRanks([rank(18), rank(10), rank(12), rank(11), rank(13)]);
    expect(a['total_cpu_time (seconds)']).toBe(11.5);
    expect(a.cpu_time_outliers_dropped).toBe(1);
  });

  it('drops a low value below Q1 − 1.5·IQR that Q1 − 3·IQR would keep', () => {
    // sorted 5,10,11,12,13: Q1 10, Q3 12, IQR 2 → [7, 15]; 3·IQR: [4, 18] keeps 5.
    expect(removeOutliersAndMean([10, 11, 5, 12, 13])).toEqual({ mean: 11.5, kept: 4, dropped: 1, q1: 10, q3: 12 });
  });

  it('keeps values exactly on either bound and drops one just beyond', () => {
    // sorted 8,10,11,12,13 → Q1 10, Q3 12, bounds [7, 15]: 8 kept. [10,11,12,13,16]: Q1 11, Q3 13, [8, 16]: 16 kept.
    expect(removeOutliersAndMean([8, 10, 11, 12, 13])).toMatchObject({ kept: 5, dropped: 0, mean: 10.8 });
    expect(removeOutliersAndMean([10, 11, 12, 13, 16])).toMatchObject({ kept: 5, dropped: 0, mean: 12.4 });
    expect(removeOutliersAndMean([10, 11, 12, 13, 16.000001])).toMatchObject({ kept: 4, dropped: 1, mean: 11.5 });
    expect(removeOutliersAndMean([6.999999, 10, 11, 12, 13])).toMatchObject({ kept: 4, dropped: 1, mean: 11.5 });
  });

  it('a custom threshold widens the bounds (3·IQR keeps what 1.5·IQR drops)', () => {
    expect(removeOutliersAndMean([18, 10, 12, 11, 13], 3)).toMatchObject({ kept: 5, dropped: 0, mean: 12.8 });
  });
});

describe('outlier rule and percentiles against numpy (seeded random partitions)', () => {
  it('matches numpy quartiles, kept count and mean on 60 partitions with planted outliers', () => {
    const rng = prng(22);
    const cases: number[][] = [];
    for (let c = 0; c < 60; c++) {
      const n = 2 + rng.int(30);
      const xs = Array.from({ length: n }, () => 5 + rng.next() * 4);
      // Plant values 1.5..3 IQR-ish away and far away, on either side, in some cases.
      if (c % 3 === 0) xs.push(9 + 2 + rng.next() * 4);
      if (c % 4 === 0) xs.push(5 - 2 - rng.next() * 3);
      if (c % 5 === 0) xs.push(60 * rng.next());
      cases.push(xs);
    }
    const expected = pythonOracle<Array<{ q1: number; q3: number; kept: number; mean: number; p: number[] }>>(
      NUMPY_RULE,
      cases,
    );
    expect(expected).toHaveLength(cases.length);
    let droppedSomewhere = 0;
    cases.forEach((xs, i) => {
      const r = removeOutliersAndMean(xs);
      expect(r.q1).toBeCloseTo(expected[i].q1, 12);
      expect(r.q3).toBeCloseTo(expected[i].q3, 12);
      expect(r.kept).toBe(expected[i].kept);
      expect(r.dropped).toBe(xs.length - expected[i].kept);
      expect(r.mean).toBeCloseTo(expected[i].mean, 12);
      const p = percentiles(xs, [0, 5, 50, 90, 95, 99, 100]);
      p.forEach((v, k) => expect(v).toBeCloseTo(expected[i].p[k], 12));
      if (r.dropped > 0) droppedSomewhere++;
    });
    // The data must exercise the rule, or this test proves nothing about it.
    expect(droppedSomewhere).toBeGreaterThan(10);
    expect(droppedSomewhere).toBeLessThan(cases.length);
  });
});

describe("the study's rank result schema", () => {
  // One rank as the study's inference.py writes it (tests/fixtures/recorded-results), plus an extra field.
  const rankJson = {
    'total_cpu_time (seconds)': 5.0,
    'total_cpu_memory (MB)': 2805.0,
    'execution_time (seconds/batch)': 1.8,
    num_batches: 3,
    batch_size: 512,
    device: 'cpu',
    throughput_bps: 40000000.0,
    sample_persec: 244.0,
    result_path: 'result-partition-25MB/1GB/2',
    data_path: '25MB/1.pt',
    s3_seconds: 1.5,
  };

  it('accepts the study JSON, a list of data paths, and keeps extra fields', () => {
    expect(RankResultSchema.parse(rankJson)).toEqual(rankJson);
    expect(RankResultSchema.parse({ ...rankJson, data_path: ['25MB/1.pt', '25MB/2.pt'] }).data_path).toEqual([
      '25MB/1.pt',
      '25MB/2.pt',
    ]);
    expect(
      AggregatableRankSchema.parse({
        'total_cpu_time (seconds)': 1,
        'total_cpu_memory (MB)': 2,
        throughput_bps: 3,
        x: 'y',
      }),
    ).toEqual({ 'total_cpu_time (seconds)': 1, 'total_cpu_memory (MB)': 2, throughput_bps: 3, x: 'y' });
  });

  it('refuses a missing, non-numeric or non-finite metric and a non-string device or path, naming the field', () => {
    const numeric = [
      'total_cpu_time (seconds)',
      'total_cpu_memory (MB)',
      'execution_time (seconds/batch)',
      'num_batches',
      'batch_size',
      'throughput_bps',
      'sample_persec',
    ] as const;
    for (const key of numeric) {
      for (const bad of [undefined, 'x', Number.NaN, Infinity]) {
        const r = RankResultSchema.safeParse({ ...rankJson, [key]: bad });
        expect(r.success, `${key} = ${String(bad)}`).toBe(false);
        expect(r.error?.issues[0].path).toEqual([key]);
      }
    }
    for (const key of ['device', 'result_path', 'data_path']) {
      expect(RankResultSchema.safeParse({ ...rankJson, [key]: 7 }).success, key).toBe(false);
    }
    for (const key of ['total_cpu_time (seconds)', 'total_cpu_memory (MB)', 'throughput_bps']) {
      expect(
        AggregatableRankSchema.safeParse({
          'total_cpu_time (seconds)': 1,
          'total_cpu_memory (MB)': 2,
          throughput_bps: 3,
          [key]: Infinity,
        }).success,
        key,
      ).toBe(false);
    }
  });
});

describe('aggregation edge cases', () => {
  it('optional per-rank fields count only when every rank has a finite number; no ranks gives nulls', () => {
    const base = { 'total_cpu_time (seconds)': 1, 'total_cpu_memory (MB)': 1, throughput_bps: 1 };
    const full = { ...base, 'execution_time (seconds/batch)': 2, sample_persec: 4, num_batches: 3, batch_size: 8 };
    for (const bad of [undefined, 'x', Number.NaN, Infinity]) {
      const a = aggregateRanks([full, { ...full, sample_persec: bad as number, num_batches: bad as number }]);
      expect(a.sample_persec, String(bad)).toBeNull();
      expect(a.num_batches, String(bad)).toBeNull();
      expect(a['execution_time (seconds/batch)']).toBe(2);
      expect(a.batch_size).toBe(8);
    }
    expect(aggregateRanks([full, base])).toMatchObject({ 'execution_time (seconds/batch)': null, batch_size: null });
    expect(aggregateRanks([])).toMatchObject({
      'execution_time (seconds/batch)': null,
      sample_persec: null,
      num_batches: null,
      batch_size: null,
      'total_cpu_memory (MB)': 0,
      throughput_bps: 0,
      total_bits: 0,
      cpu_time_outliers_dropped: 0,
    });
  });

  it('a Map duration of 0 or below, or unknown, gives no wall throughput', () => {
    const r = [rank(2, 3)]; // cpu 2 s, 3 bit/s
    for (const d of [0, -1, null])
      expect(aggregateRanks(r, d)).toMatchObject({ map_duration_seconds: null, wall_throughput_bps: null });
    expect(aggregateRanks(r, 0.5)).toMatchObject({ map_duration_seconds: 0.5, wall_throughput_bps: 12 }); // 3·2 / 0.5
  });

  it('every aggregate metric has a definition that states its rule', () => {
    expect(AGGREGATE_DEFINITIONS).toEqual({
      'total_cpu_time (seconds)': expect.stringMatching(
        /averaged after dropping ranks outside 1\.5×IQR.*linear interpolation/,
      ),
      'total_cpu_memory (MB)': expect.stringMatching(/summed over ranks/),
      throughput_bps: expect.stringMatching(/summed over ranks/),
      total_bits: expect.stringMatching(/Σ over ranks of throughput_bps × total_cpu_time/),
      'execution_time (seconds/batch)': expect.stringMatching(/Mean over ranks of seconds per batch/),
      sample_persec: expect.stringMatching(/samples\/second summed over ranks/),
      wall_throughput_bps: expect.stringMatching(/total_bits ÷ the Map state's duration/),
      map_duration_seconds: expect.stringMatching(/MapStateEntered to MapStateExited/),
    });
  });
});

describe('percentile bounds', () => {
  it('refuses q below 0, above 100 or NaN, naming it; 0 and 100 are the extremes', () => {
    for (const q of [-1, -0.001, 100.5, Number.NaN])
      expect(() => percentiles([1, 2], [q]), String(q)).toThrow(`percentile must be within 0..100, got ${q}`);
    expect(percentiles([3, 1, 2], [0, 100])).toEqual([1, 3]);
  });
});
