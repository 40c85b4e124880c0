// study/stats.ts at its edges, each against a value computed another way: closed forms of the incomplete beta and
// of the t distribution, published t quantiles, Python's `statistics` module, and the bootstrap (mulberry32
// included) written again in Python with numpy's percentile. These kill the mutants of #22's Stryker runs that
// stats.test.ts let survive (docs/mutation-testing.md).
import { describe, expect, it } from 'vitest';
import {
  bootstrapIndices,
  bootstrapMeanCI,
  BOOTSTRAP_RESAMPLES,
  BOOTSTRAP_SEED,
  coefficientOfVariation,
  logGamma,
  median,
  mulberry32,
  regularizedIncompleteBeta,
  STATS_METHOD_NOTE,
  studentTCdf,
  studentTQuantile,
  summarize,
} from '../../study/stats.ts';
import { cachedPythonOracle } from '../support/python-oracle-cache.ts';

/** |got − want| ≤ tol, with the numbers in the message when it fails. */
function near(got: number, want: number, tol: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(tol);
}

describe('regularized incomplete beta, against closed forms over all of (0, 1) (both branches)', () => {
  // x on both sides of the branch point (a + 1) / (a + b + 2), and close to 0 and 1 where a continued fraction
  // taken on the wrong side converges slowly.
  const xs = [1e-12, 1e-6, 0.001, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999, 1 - 1e-6];

  it('I_x(½, ½) = (2/π)·asin(√x), the arcsine law (non-integer a and b: no terminating fraction)', () => {
    for (const x of xs)
      near(regularizedIncompleteBeta(x, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(x)), 1e-13, `${x}`);
  });

  it('I_x(a, 1) = x^a and I_x(1, b) = 1 − (1 − x)^b for non-integer a and b', () => {
    for (const x of xs) {
      for (const a of [0.3, 2.5, 7.25]) near(regularizedIncompleteBeta(x, a, 1), x ** a, 1e-13, `x=${x} a=${a}`);
      for (const b of [0.5, 3.7]) near(regularizedIncompleteBeta(x, 1, b), 1 - (1 - x) ** b, 1e-13, `x=${x} b=${b}`);
    }
  });

  it('I_½(a, a) = ½ exactly on the branch point, for small and large a', () => {
    // (a + 1) / (2a + 2) = ½: the point where the two continued fractions meet.
    for (const a of [0.5, 2.5, 40]) near(regularizedIncompleteBeta(0.5, a, a), 0.5, 1e-13, `a=${a}`);
    near(regularizedIncompleteBeta(0.5, 1000, 1000), 0.5, 2e-13, 'a=1000');
  });

  it('refuses b ≤ 0, NaN parameters and x outside [0, 1], saying which', () => {
    expect(() => regularizedIncompleteBeta(0.5, 1, 0)).toThrow('incomplete beta needs a, b > 0 (got a = 1, b = 0)');
    expect(() => regularizedIncompleteBeta(0.5, 2, -1)).toThrow(RangeError);
    expect(() => regularizedIncompleteBeta(0.5, Number.NaN, 1)).toThrow(/a, b > 0/);
    expect(() => regularizedIncompleteBeta(-0.1, 1, 1)).toThrow('incomplete beta needs 0 ≤ x ≤ 1 (got -0.1)');
    expect(() => regularizedIncompleteBeta(Number.NaN, 1, 1)).toThrow(/0 ≤ x ≤ 1/);
  });

  it('ln Γ below ½ by the reflection formula, against Python’s math.lgamma', () => {
    // Lanczos alone would do down to about 0.001, but is 3e-11 off at 1e-6 and 2e-5 off at 1e-12 (a = ν/2 for a tiny
    // ν); the reflection Γ(x)Γ(1 − x) = π / sin(πx) keeps it exact.
    const xs = [1e-12, 1e-6, 0.001, 0.1, 0.3, 0.49];
    const want = cachedPythonOracle<number[]>(
      'import json,sys,math\nprint(json.dumps([math.lgamma(x) for x in json.load(sys.stdin)]))',
      xs,
    );
    xs.forEach((x, i) => near(logGamma(x), want[i], 1e-13, `ln Γ(${x})`));
  });
});

describe('Student t CDF, closed forms for 3 and 4 degrees of freedom', () => {
  const ts = [-50, -3, -0.5, 0.2, 1, 2.5, 4.5, 30, 1e3];
  it('matches them to 1e-14 on both tails', () => {
    for (const t of ts) {
      const df3 = 0.5 + (1 / Math.PI) * (t / Math.sqrt(3) / (1 + (t * t) / 3) + Math.atan(t / Math.sqrt(3)));
      near(studentTCdf(t, 3), df3, 1e-14, `df=3 t=${t}`);
      const u = 1 + (t * t) / 4;
      near(studentTCdf(t, 4), 0.5 + (3 / 8) * (t / Math.sqrt(u)) * (1 - (t * t) / (12 * u)), 1e-14, `df=4 t=${t}`);
    }
  });

  it('refuses df = 0 (not only negative df)', () => {
    expect(() => studentTCdf(1, 0)).toThrow('Student t needs df > 0 (got 0)');
  });
});

describe('Student t quantile, exact where it has closed forms', () => {
  it('df = 1 and 2: the published 95% values to 7–8 decimals', () => {
    near(studentTQuantile(0.975, 1), 12.7062047, 5e-8, 't(0.975, 1)');
    near(studentTQuantile(0.975, 2), 4.30265273, 5e-9, 't(0.975, 2)');
  });

  it('df = 1: tan(π(p − ½)); df = 2: (2p − 1)/√(2p(1 − p)), for p from 2⁻²⁰ to 1 − 10⁻⁹', () => {
    // For p > ½, 1 − p is exact in floating point (Sterbenz), so the oracles are precise in the upper tail; a lower
    // tail p is taken as −t(1 − p), so p = 2⁻²⁰ (1 − p exact) rather than 10⁻⁶. In the tails the CDF, 1 − tail,
    // resolves the tail only to an ulp of 1, so the quantile's relative error is about 1e-16 / min(p, 1 − p).
    for (const p of [2 ** -20, 0.01, 0.3, 0.51, 0.6, 0.9, 0.975, 0.999, 1 - 1e-9]) {
      const tol = 1e-12 + 1e-15 / Math.min(p, 1 - p);
      const cauchy = p > 0.5 ? 1 / Math.tan(Math.PI * (1 - p)) : -1 / Math.tan(Math.PI * p);
      const df2 = (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
      expect(Math.abs(studentTQuantile(p, 1) / cauchy - 1), `df=1 p=${p}`).toBeLessThan(tol);
      expect(Math.abs(studentTQuantile(p, 2) / df2 - 1), `df=2 p=${p}`).toBeLessThan(tol);
    }
  });

  it('large df: the normal quantile plus three Cornish–Fisher terms (z from Python `statistics`)', () => {
    const z = cachedPythonOracle<number>(
      'import json,statistics\nprint(json.dumps(statistics.NormalDist().inv_cdf(0.975)))',
      null,
    );
    expect(z).toBeCloseTo(1.95996, 5);
    const g1 = (z ** 3 + z) / 4;
    const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
    const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
    for (const nu of [1e3, 1e5, 1e7])
      near(studentTQuantile(0.975, nu), z + g1 / nu + g2 / nu ** 2 + g3 / nu ** 3, 2e-9, `ν=${nu}`);
  });

  it('refuses p = 0 and df = 0 before any shortcut, saying which value', () => {
    expect(() => studentTQuantile(0, 3)).toThrow('a quantile needs 0 < p < 1 (got 0)');
    expect(() => studentTQuantile(-0.2, 3)).toThrow('(got -0.2)');
    expect(() => studentTQuantile(0.5, 0)).toThrow('Student t needs df > 0 (got 0)');
    expect(() => studentTQuantile(0.5, Number.NaN)).toThrow(/df > 0/);
  });
});

describe('median and CV, against Python `statistics`', () => {
  it('sorts numerically, not as text, and takes the middle pair for even counts', () => {
    expect(median([10, 9, 1, 2])).toBe(5.5); // as text the order would be 1, 10, 2, 9
    expect(median([-3, 20, 100, 7, -50])).toBe(7);
    const sets = [
      [3.25, -1.5, 8, 0.125, 4],
      [2, 11, 5.5, 1, 100, 7],
      [0.61, 0.52, 0.55, 0.58],
    ];
    const want = cachedPythonOracle<Array<[number, number, number | null]>>(
      'import json,sys,statistics as s\nd=json.load(sys.stdin)\n' +
        'print(json.dumps([[s.median(x), s.stdev(x), s.stdev(x)/s.mean(x)] for x in d]))',
      sets,
    );
    sets.forEach((x, i) => {
      expect(median(x)).toBe(want[i][0]);
      expect(coefficientOfVariation(x)).toBeCloseTo(want[i][2]!, 14);
    });
  });

  it('a negative mean gives a negative CV; two values are enough for it (summarize waits for 3)', () => {
    expect(coefficientOfVariation([-2, -4, -6])).toBeCloseTo(-0.5, 14); // sd 2, mean −4
    expect(coefficientOfVariation([1, 3])).toBeCloseTo(Math.SQRT2 / 2, 14);
    expect(coefficientOfVariation([0, 0, 0])).toBeNull();
  });
});

describe('bootstrap, the whole method written again in Python (mulberry32 included)', () => {
  const PY_MULBERRY = `
M = 0xFFFFFFFF
def imul(x, y): return (x * y) & M
def mulberry32(seed):
    state = [seed & M]
    def nxt():
        state[0] = (state[0] + 0x6D2B79F5) & M
        t = state[0]
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M
        return ((t ^ (t >> 14)) & M) / 4294967296
    return nxt
`;

  it('mulberry32 gives the published algorithm’s numbers for several seeds', () => {
    const seeds = [0, 7, 123456789, BOOTSTRAP_SEED, 4294967295];
    const want = cachedPythonOracle<number[][]>(
      `import json,sys\n${PY_MULBERRY}\nd=json.load(sys.stdin)\n` +
        'out=[]\nfor s in d:\n    r=mulberry32(s)\n    out.append([r() for _ in range(6)])\nprint(json.dumps(out))',
      seeds,
    );
    seeds.forEach((s, i) => {
      const r = mulberry32(s);
      expect(Array.from({ length: 6 }, () => r())).toEqual(want[i]);
    });
  });

  it('bootstrapMeanCI with its defaults = the 2.5th/97.5th numpy percentiles of B = 10,000 means, seed 20260101', () => {
    const cases = [
      { x: [10.2, 9.7, 11.4, 10.9, 9.1, 10.0, 12.3], seed: BOOTSTRAP_SEED, B: BOOTSTRAP_RESAMPLES },
      { x: [3.5, 0.25, 7.75, 1.0], seed: 99, B: 777 },
    ];
    const want = cachedPythonOracle<Array<[number, number]>>(
      `import json,sys\nimport numpy as np\n${PY_MULBERRY}\nd=json.load(sys.stdin)\nout=[]\n` +
        'for c in d:\n    x=c["x"]; n=len(x); r=mulberry32(c["seed"]); means=[]\n' +
        '    for b in range(c["B"]):\n        s=0.0\n        for i in range(n): s+=x[int(r()*n)]\n' +
        '        means.append(s/n)\n' +
        '    out.append([float(v) for v in np.percentile(np.array(means), [2.5, 97.5])])\nprint(json.dumps(out))',
      cases,
    );
    expect(BOOTSTRAP_SEED).toBe(20_260_101);
    expect(BOOTSTRAP_RESAMPLES).toBe(10_000);
    const byDefault = bootstrapMeanCI(cases[0].x);
    near(byDefault.low, want[0][0], 1e-12, 'default low');
    near(byDefault.high, want[0][1], 1e-12, 'default high');
    const own = bootstrapMeanCI(cases[1].x, { seed: cases[1].seed, resamples: cases[1].B });
    near(own.low, want[1][0], 1e-12, 'seed 99, B 777 low');
    near(own.high, want[1][1], 1e-12, 'seed 99, B 777 high');
    // bootstrapIndices draws the same rows by default as with the seed named.
    expect(bootstrapIndices(3, { resamples: 4 })).toEqual(bootstrapIndices(3, { resamples: 4, seed: BOOTSTRAP_SEED }));
  });

  it('one resample is allowed: both ends are that resample’s mean', () => {
    const x = [1, 2, 4, 8];
    const [row] = bootstrapIndices(4, { resamples: 1, seed: 5 });
    const m = Array.from(row).reduce((s, i) => s + x[i], 0) / 4;
    expect(bootstrapMeanCI(x, { resamples: 1, seed: 5 })).toEqual({ low: m, high: m });
  });

  it('refuses a fractional, zero or negative B with its own message', () => {
    for (const resamples of [2.5, 0, -3])
      expect(() => bootstrapMeanCI([1, 2, 3], { resamples })).toThrow(
        `bootstrap resamples must be a positive integer (got ${resamples})`,
      );
  });
});

describe('summarize and the method note', () => {
  it('says exactly why there is no CI for one value, and why no CV for a zero mean', () => {
    expect(summarize([4]).note).toBe('1 repeat(s): the 95% CIs and the CV need at least 3');
    expect(summarize([-2, 0, 2, 0]).note).toBe('the mean is 0, so the CV (sd / mean) is undefined');
  });

  it('states the whole method', () => {
    expect(STATS_METHOD_NOTE).toBe(
      'With 3 or more repeats: 95% CI (t) = mean ± t(0.975, n − 1) · sd / √n (Student t with n − 1 degrees of ' +
        'freedom); 95% CI (bootstrap) = 2.5th–97.5th percentiles of the means of B = 10,000 resamples of the ' +
        'repeats (with replacement; mulberry32 PRNG, seed 20260101, so the same data gives the same interval); ' +
        'CV = sd / mean. With fewer repeats there is no CI and no CV.',
    );
  });
});
