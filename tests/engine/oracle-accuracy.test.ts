/**
 * Accuracy metrics and study statistics against numpy, computed in the test from the definitions
 * (METRIC_DEFINITIONS.accuracy; pandas' sample std, ddof = 1) on seeded random data.
 */
import { describe, expect, it } from 'vitest';
import { computeAccuracy } from '../../engine/run/accuracy.ts';
import { mean, meanStd, sampleStd } from '../../study/stats.ts';
import { prng } from '../support/fuzz-prng.ts';
import { pythonOracle } from '../support/python-oracle.ts';

const NUMPY_ACCURACY = `
import json, sys
import numpy as np
out = []
for c in json.load(sys.stdin):
    t = np.array(c["t"], dtype=np.float64); p = np.array(c["p"], dtype=np.float64)
    dz = p - t
    ss = np.sum((t - t.mean()) ** 2)
    out.append({"count": int(t.size), "mae": float(np.mean(np.abs(dz))), "mse": float(np.mean(dz ** 2)),
                "bias": float(np.mean(dz)),
                "sigma_nmad": float(1.48 * np.median(np.abs(dz - np.median(dz)) / (1 + t))),
                "r2": float(1 - np.sum(dz ** 2) / ss) if ss > 0 else None,
                "outlier_fraction": float(np.mean(np.abs(dz) / (1 + t) > 0.15)),
                "std": float(np.std(t, ddof=1)) if t.size > 1 else None, "mean": float(np.mean(t))})
print(json.dumps(out))
`;

describe('accuracy metrics against numpy', () => {
  it('match numpy on 40 seeded cases with catastrophic outliers, even and odd counts', () => {
    const rng = prng(2022);
    const cases = Array.from({ length: 40 }, (_, c) => {
      const n = 1 + rng.int(50) + (c % 2);
      const t = Array.from({ length: n }, () => rng.next() * 3);
      const p = t.map((z) => (rng.next() < 0.2 ? z + (rng.next() - 0.5) * 2 : z + (rng.next() - 0.5) * 0.1));
      return { t, p };
    });
    const want = pythonOracle<Array<Record<string, number | null>>>(NUMPY_ACCURACY, cases);
    expect(want).toHaveLength(cases.length);
    let withOutliers = 0;
    cases.forEach(({ t, p }, i) => {
      const a = computeAccuracy(t, p)!;
      const w = want[i];
      expect(a.count).toBe(w.count);
      for (const k of ['mae', 'mse', 'bias', 'sigma_nmad', 'outlier_fraction'] as const) {
        expect(a[k], `${k} in case ${i}`).toBeCloseTo(w[k]!, 12);
      }
      if (w.r2 === null) expect(a.r2).toBeNull();
      else expect(a.r2!).toBeCloseTo(w.r2, 9);
      if (a.outlier_fraction > 0) withOutliers++;
      expect(mean(t)).toBeCloseTo(w.mean!, 12);
      if (w.std === null) expect(sampleStd(t)).toBeNull();
      else expect(sampleStd(t)!).toBeCloseTo(w.std, 12);
    });
    expect(withOutliers).toBeGreaterThan(5);
  });

  it('counts an outlier only strictly above 0.15·(1 + z): on the boundary it is not one', () => {
    // z_true 1 → threshold |dz| > 0.3; dz = 0.25 (in), 0.5 (out), −0.5 (out), 0 (in)
    expect(computeAccuracy([1, 1, 1, 1], [1.25, 1.5, 0.5, 1])!.outlier_fraction).toBe(0.5);
    // z_true 0 → |dz| > 0.15: dz 0.125 (in), −0.25 (out)
    expect(computeAccuracy([0, 0], [0.125, -0.25])!.outlier_fraction).toBe(0.5);
    // z_true 3 → threshold 0.6 exactly (0.15·4): dz 0.5 is in; dz 0.75 out
    expect(computeAccuracy([3, 3, 3, 3], [3.5, 3.75, 3, 3])!.outlier_fraction).toBe(0.25);
  });

  it('an error of exactly 0.15·(1 + z) is not an outlier; non-finite predictions and labels are left out', () => {
    // z_true 0: dz = 0.15 exactly (0.15 − 0 is exact) → not > 0.15
    expect(computeAccuracy([0, 0], [0.15, 0])!.outlier_fraction).toBe(0);
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      expect(computeAccuracy([0.1, 0.2], [bad, 0.25])).toMatchObject({ count: 1, bias: expect.closeTo(0.05, 12) });
      expect(computeAccuracy([bad, 0.2], [0.1, 0.25])).toMatchObject({ count: 1, bias: expect.closeTo(0.05, 12) });
    }
    expect(() => computeAccuracy([1, 2], [1])).toThrow('z_true has 2 values but z_pred has 1');
  });

  it('meanStd: sample standard deviation (n − 1), as pandas; undefined for one value; mean of none throws', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x − 5)² = 32, /7 → std √(32/7)
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, std: Math.sqrt(32 / 7), n: 8 });
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: Math.SQRT2, n: 2 });
    expect(meanStd([3])).toEqual({ mean: 3, std: null, n: 1 });
    expect(() => mean([])).toThrow('mean of no values');
  });
});
