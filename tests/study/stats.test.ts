import { describe, expect, it } from 'vitest';
import {
  bootstrapIndices,
  bootstrapMeanCI,
  BOOTSTRAP_RESAMPLES,
  BOOTSTRAP_SEED,
  coefficientOfVariation,
  logGamma,
  mean,
  median,
  mulberry32,
  quantileSorted,
  regularizedIncompleteBeta,
  STATS_METHOD_NOTE,
  studentTCdf,
  studentTQuantile,
  summarize,
  tMeanCI,
} from '../../study/stats.ts';
import { ORACLE_PYTHON } from '../support/python-oracle.ts';
import { cachedPythonOracle } from '../support/python-oracle-cache.ts';

/**
 * scipy's answer to a script, from the first Python that has scipy (the PATH's python3, then the oracle's; Debian's
 * may have none): null when none has it. Asked when a test needs it, not when the file loads (Stryker loads this
 * file once per mutant), and kept on disk (cachedPythonOracle).
 */
function scipyOracle<T>(script: string, input: unknown): T | null {
  for (const py of ['python3', ORACLE_PYTHON]) {
    try {
      return cachedPythonOracle<T>(script, input, py);
    } catch (e) {
      if (/No module named 'scipy'|ENOENT/.test(String(e))) continue;
      throw e;
    }
  }
  return null;
}

describe('median and CV', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/no values/);
  });

  it('CV = sample sd / mean, undefined (null) for a zero mean or one value', () => {
    // mean 5, sd sqrt(20/3)
    expect(coefficientOfVariation([2, 4, 6, 8])).toBeCloseTo(Math.sqrt(20 / 3) / 5, 14);
    expect(coefficientOfVariation([-1, 0, 1])).toBeNull();
    expect(coefficientOfVariation([3])).toBeNull();
  });
});

describe('Student t quantile', () => {
  // Published two-sided 95% critical values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2), 6 decimals.
  const published: Array<[number, number]> = [
    [1, 12.706205],
    [2, 4.302653],
    [3, 3.182446],
    [4, 2.776445],
    [5, 2.570582],
    [9, 2.262157],
    [29, 2.04523],
    [100, 1.983972],
  ];
  it.each(published)('t(0.975, %i) matches the published value', (df, t) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 6);
  });

  it('is the normal quantile for very many degrees of freedom, and symmetric', () => {
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 5);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776445, 6);
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });

  it('inverts the CDF, whose df = 1 and df = 2 cases have closed forms', () => {
    for (const t of [-3, -0.5, 0.2, 1, 4.5, 30]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 13);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 13);
    }
    for (const df of [1, 2, 3, 7, 50]) expect(studentTCdf(studentTQuantile(0.975, df), df)).toBeCloseTo(0.975, 13);
  });

  it('agrees with scipy.stats.t.ppf over df 1…200 and several p', ({ skip }) => {
    const dfs = [1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20, 29, 30, 40, 60, 120, 200, 2.5];
    const ps = [0.6, 0.9, 0.95, 0.975, 0.995, 0.999, 0.01];
    const want = scipyOracle<number[][]>(
      'import json,sys\nfrom scipy.stats import t\nd=json.load(sys.stdin)\n' +
        'print(json.dumps([[float(t.ppf(p, df)) for p in d["ps"]] for df in d["dfs"]]))',
      { dfs, ps },
    );
    if (!want) return skip('no python3 with scipy (the published values still run)');
    dfs.forEach((df, i) =>
      ps.forEach((p, j) => {
        const got = studentTQuantile(p, df);
        expect(Math.abs(got - want[i][j]) / Math.abs(want[i][j])).toBeLessThan(1e-9);
      }),
    );
  });

  it('checks its inputs', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0, 3)).toThrow(/0 < p < 1/);
    expect(() => studentTQuantile(0.9, 0)).toThrow(/df > 0/);
    expect(() => studentTCdf(1, -1)).toThrow(/df > 0/);
    expect(() => regularizedIncompleteBeta(1.5, 1, 1)).toThrow(/0 ≤ x ≤ 1/);
    expect(() => regularizedIncompleteBeta(0.5, 0, 1)).toThrow(/a, b > 0/);
  });

  it('has an incomplete beta and log-gamma right where they have closed forms', () => {
    // I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b
    for (const x of [0.1, 0.5, 0.93]) {
      expect(regularizedIncompleteBeta(x, 3, 1)).toBeCloseTo(x ** 3, 14);
      expect(regularizedIncompleteBeta(x, 1, 4)).toBeCloseTo(1 - (1 - x) ** 4, 14);
    }
    expect(regularizedIncompleteBeta(0, 2, 2)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 2)).toBe(1);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(0.25)).toBeCloseTo(Math.log(3.625609908221908), 12);
  });
});

describe('t confidence interval', () => {
  it('is mean ± t(0.975, n − 1)·sd/√n, by hand for [1, 2, 3]', () => {
    // mean 2, sd 1, n 3: half-width 4.302653 / √3
    const ci = tMeanCI([1, 2, 3])!;
    expect(ci.df).toBe(2);
    expect(ci.halfWidth).toBeCloseTo(4.302653 / Math.sqrt(3), 6);
    expect(ci.low).toBeCloseTo(2 - 4.302653 / Math.sqrt(3), 6);
    expect(ci.high).toBeCloseTo(2 + 4.302653 / Math.sqrt(3), 6);
    expect(tMeanCI([4])).toBeNull();
  });
});

describe('bootstrap percentile interval', () => {
  it('draws the same resamples for the same seed, and different ones for another', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(8)()).not.toBe(xs[0]);
    const data = [1.13, 5.71, 2.29, 8.37, 3.05, 4.43];
    expect(bootstrapMeanCI(data)).toEqual(bootstrapMeanCI([...data]));
    expect(bootstrapMeanCI(data, { seed: 1 })).not.toEqual(bootstrapMeanCI(data));
  });

  it('for n = 3 is [min, max]: each extreme mean has probability 1/27 > 2.5% (exhaustive enumeration)', () => {
    const xs = [0.52, 0.61, 0.55];
    // The exact bootstrap distribution: all 27 equally likely resamples.
    const means: number[] = [];
    for (const i of [0, 1, 2])
      for (const j of [0, 1, 2]) for (const k of [0, 1, 2]) means.push((xs[i] + xs[j] + xs[k]) / 3);
    means.sort((a, b) => a - b);
    expect(means.filter((m) => m === means[0])).toHaveLength(1); // one atom of 1/27 = 3.7 % at the minimum
    expect(means[0]).toBe(0.52);
    // With B = 10,000 the chance that fewer than 251 resamples hit the 1/27 atom is astronomically small.
    const ci = bootstrapMeanCI(xs);
    expect(ci.low).toBeCloseTo(0.52, 12);
    expect(ci.high).toBeCloseTo(0.61, 12);
  });

  it('matches numpy.percentile over the very same resample indices', () => {
    const xs = [10.2, 9.7, 11.4, 10.9, 9.1, 10.0, 12.3];
    const idx = bootstrapIndices(xs.length).map((r) => Array.from(r));
    expect(idx).toHaveLength(BOOTSTRAP_RESAMPLES);
    const want = cachedPythonOracle<[number, number]>(
      'import json,sys\nimport numpy as np\nd=json.load(sys.stdin)\n' +
        'x=np.array(d["x"]); m=x[np.array(d["idx"])].mean(axis=1)\n' +
        'print(json.dumps([float(v) for v in np.percentile(m, [2.5, 97.5])]))',
      { x: xs, idx },
    );
    const got = bootstrapMeanCI(xs);
    expect(got.low).toBeCloseTo(want[0], 12);
    expect(got.high).toBeCloseTo(want[1], 12);
    // A sanity band: the interval holds the mean and lies within the data.
    expect(got.low).toBeLessThan(10.514);
    expect(got.high).toBeGreaterThan(10.514);
    expect(got.low).toBeGreaterThanOrEqual(9.1);
  });

  it('interpolates percentiles linearly between order statistics, as numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.025)).toBeCloseTo(1.075, 14);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileSorted([9], 0.3)).toBe(9);
    expect(() => quantileSorted([], 0.5)).toThrow(/no values/);
  });

  it('rejects a bad resample count', () => {
    expect(() => bootstrapMeanCI([1, 2, 3], { resamples: 0 })).toThrow(/positive integer/);
    expect(() => bootstrapMeanCI([1, 2, 3], { resamples: 2.5 })).toThrow(RangeError);
    expect(() => bootstrapMeanCI([])).toThrow(/no values/);
  });
});

describe('edges', () => {
  it('handles no values, NaN, zero spread and the CDF centre', () => {
    expect(() => mean([])).toThrow(/no values/);
    expect(studentTCdf(Number.NaN, 3)).toBeNaN();
    expect(studentTCdf(0, 3)).toBe(0.5);
    expect(studentTCdf(-2, 5)).toBeCloseTo(1 - studentTCdf(2, 5), 15);
    expect(tMeanCI([2, 2, 2])).toEqual({ low: 2, high: 2, halfWidth: 0, df: 2 });
    expect(bootstrapMeanCI([2, 2, 2])).toEqual({ low: 2, high: 2 });
  });

  it('passes the bootstrap options through summarize', () => {
    const xs = [1.13, 5.71, 2.29, 8.37, 3.05, 4.43];
    expect(summarize(xs, { seed: 1 }).ciBoot).toEqual(bootstrapMeanCI(xs, { seed: 1 }));
    expect(summarize(xs, { resamples: 50 }).ciBoot).toEqual(bootstrapMeanCI(xs, { resamples: 50 }));
    expect(summarize(xs).ciBoot).not.toEqual(bootstrapMeanCI(xs, { resamples: 50 }));
    expect(bootstrapIndices(4, { resamples: 3, seed: 9 })).toHaveLength(3);
    expect(bootstrapIndices(4, { resamples: 3, seed: 9 }).every((r) => r.length === 4 && r.every((i) => i < 4))).toBe(
      true,
    );
  });
});

describe('summarize', () => {
  it('gives everything for 3 or more repeats', () => {
    const s = summarize([1, 2, 3]);
    expect(s).toMatchObject({ n: 3, mean: 2, median: 2, sd: 1, cv: 0.5, note: '' });
    expect(s.ciT!.halfWidth).toBeCloseTo(4.302653 / Math.sqrt(3), 6);
    expect(s.ciBoot).toEqual({ low: 1, high: 3 });
  });

  it('gives no CI and no CV for fewer than 3, and says why', () => {
    const s = summarize([1, 3]);
    expect(s).toMatchObject({ n: 2, mean: 2, median: 2, cv: null, ciT: null, ciBoot: null });
    expect(s.sd).toBeCloseTo(Math.SQRT2, 14);
    expect(s.note).toBe('2 repeat(s): the 95% CIs and the CV need at least 3');
    expect(summarize([4]).sd).toBeNull();
  });

  it('says the CV is undefined for a zero mean', () => {
    const s = summarize([-1, 0, 1]);
    expect(s.cv).toBeNull();
    expect(s.ciT).not.toBeNull();
    expect(s.note).toMatch(/mean is 0/);
  });

  it('states the method, B and the seed', () => {
    expect(STATS_METHOD_NOTE).toContain('t(0.975, n − 1)');
    expect(STATS_METHOD_NOTE).toContain('B = 10,000');
    expect(STATS_METHOD_NOTE).toContain(`seed ${BOOTSTRAP_SEED}`);
  });
});
