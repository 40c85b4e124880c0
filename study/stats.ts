/**
 * Summary statistics over repeats, pure and dependency-free. Standard deviation is the SAMPLE one (divides by
 * n − 1), like pandas' std(). Confidence intervals (95%, two-sided) are given only for 3 or more repeats:
 * - t-based: mean ± t(0.975, n − 1) · sd / √n, with the Student-t quantile computed here (inverse of the t CDF,
 *   which is the regularized incomplete beta function), for any n;
 * - bootstrap percentile: B resamples (with replacement, size n) of the repeats, drawn by a seeded PRNG
 *   (mulberry32) so the same data always gives the same interval; the interval is the 2.5th and 97.5th
 *   percentiles of the B resample means (linear interpolation between order statistics, numpy's default).
 */

export function mean(values: number[]): number {
  if (values.length === 0) throw new Error('mean of no values');
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** Sample standard deviation (n − 1); null for fewer than two values, where it is undefined. */
export function sampleStd(values: number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

export interface MeanStd {
  mean: number;
  std: number | null;
  n: number;
}

export function meanStd(values: number[]): MeanStd {
  return { mean: mean(values), std: sampleStd(values), n: values.length };
}

/** The median: the middle value, or the mean of the two middle values for an even count. */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Coefficient of variation sd / mean (a fraction, not %); null when sd is undefined (n < 2) or the mean is 0. */
export function coefficientOfVariation(values: number[]): number | null {
  const sd = sampleStd(values);
  const m = mean(values);
  return sd === null || m === 0 ? null : sd / m;
}

// ---- Student's t quantile ----

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), for 0 ≤ x ≤ 1 and a, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`incomplete beta needs a, b > 0 (got a = ${a}, b = ${b})`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs 0 ≤ x ≤ 1 (got ${x})`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** The Student-t CDF P(T ≤ t) with df degrees of freedom (df > 0, not necessarily an integer). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`Student t needs df > 0 (got ${df})`);
  if (Number.isNaN(t)) return Number.NaN;
  if (t === 0) return 0.5;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/**
 * The Student-t quantile: the t with P(T ≤ t) = p for df degrees of freedom, by inverting studentTCdf (bracketing,
 * then bisection to the last bit). t(0.975, 2) = 4.302653, t(0.975, 4) = 2.776445, t(0.975, 29) = 2.045230.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`a quantile needs 0 < p < 1 (got ${p})`);
  if (!(df > 0)) throw new RangeError(`Student t needs df > 0 (got ${df})`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
    if (!Number.isFinite(hi)) return Number.POSITIVE_INFINITY;
  }
  for (let i = 0; i < 2000; i++) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) break;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---- Bootstrap ----

/** mulberry32: a small, well-known 32-bit PRNG; returns a function giving uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The p-quantile (0 ≤ p ≤ 1) of already sorted values, linear between order statistics (numpy's default). */
export function quantileSorted(sorted: number[], p: number): number {
  if (sorted.length === 0) throw new Error('quantile of no values');
  const pos = p * (sorted.length - 1);
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < sorted.length ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i];
}

export const BOOTSTRAP_RESAMPLES = 10_000;
export const BOOTSTRAP_SEED = 20_260_101;
export const CONFIDENCE = 0.95;
/** Confidence intervals and the CV need this many repeats. */
export const MIN_REPEATS_FOR_CI = 3;

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
}

/**
 * The resample indices the bootstrap draws: `resamples` rows of n indices in [0, n), from mulberry32(seed), row
 * by row. Exposed so a test can recompute the interval independently (numpy) from the very same resamples.
 */
export function bootstrapIndices(n: number, opts: BootstrapOptions = {}): Uint32Array[] {
  const rand = mulberry32(opts.seed ?? BOOTSTRAP_SEED);
  const out: Uint32Array[] = [];
  for (let b = 0; b < (opts.resamples ?? BOOTSTRAP_RESAMPLES); b++) {
    const row = new Uint32Array(n);
    for (let i = 0; i < n; i++) row[i] = Math.floor(rand() * n);
    out.push(row);
  }
  return out;
}

export interface Interval {
  low: number;
  high: number;
}

/** The 95% bootstrap percentile interval of the mean. */
export function bootstrapMeanCI(values: number[], opts: BootstrapOptions = {}): Interval {
  const n = values.length;
  if (n === 0) throw new Error('bootstrap of no values');
  const B = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`bootstrap resamples must be a positive integer (got ${B})`);
  const rand = mulberry32(opts.seed ?? BOOTSTRAP_SEED);
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rand() * n)];
    means[b] = s / n;
  }
  means.sort();
  const sorted = Array.from(means);
  const alpha = (1 - CONFIDENCE) / 2;
  return { low: quantileSorted(sorted, alpha), high: quantileSorted(sorted, 1 - alpha) };
}

export interface TInterval extends Interval {
  /** t(0.975, n − 1) · sd / √n. */
  halfWidth: number;
  df: number;
}

/** The 95% t-based interval of the mean: mean ± t(0.975, n − 1) · sd / √n; null for n < 2. */
export function tMeanCI(values: number[]): TInterval | null {
  const sd = sampleStd(values);
  if (sd === null) return null;
  const n = values.length;
  const m = mean(values);
  const halfWidth = studentTQuantile(1 - (1 - CONFIDENCE) / 2, n - 1) * (sd / Math.sqrt(n));
  return { low: m - halfWidth, high: m + halfWidth, halfWidth, df: n - 1 };
}

/** Everything the tables and charts show about one value's repeats. */
export interface Summary {
  n: number;
  mean: number;
  median: number;
  sd: number | null;
  /** sd / mean; null for n < 3 (as the CIs) or a zero mean. */
  cv: number | null;
  /** 95% t interval; null for n < 3. */
  ciT: TInterval | null;
  /** 95% bootstrap percentile interval; null for n < 3. */
  ciBoot: Interval | null;
  /** Why something is null, when it is (e.g. "2 repeats: a 95% CI needs at least 3"); '' otherwise. */
  note: string;
}

export function summarize(values: number[], opts: BootstrapOptions = {}): Summary {
  const n = values.length;
  const m = mean(values);
  const sd = sampleStd(values);
  const enough = n >= MIN_REPEATS_FOR_CI;
  const notes: string[] = [];
  if (!enough) notes.push(`${n} repeat(s): the 95% CIs and the CV need at least ${MIN_REPEATS_FOR_CI}`);
  else if (m === 0) notes.push('the mean is 0, so the CV (sd / mean) is undefined');
  return {
    n,
    mean: m,
    median: median(values),
    sd,
    cv: enough ? coefficientOfVariation(values) : null,
    ciT: enough ? tMeanCI(values) : null,
    ciBoot: enough ? bootstrapMeanCI(values, opts) : null,
    note: notes.join('; '),
  };
}

/** The method, in words, for a table's footnote or a chart's caption. */
export const STATS_METHOD_NOTE =
  `With ${MIN_REPEATS_FOR_CI} or more repeats: 95% CI (t) = mean ± t(0.975, n − 1) · sd / √n (Student t with ` +
  `n − 1 degrees of freedom); 95% CI (bootstrap) = 2.5th–97.5th percentiles of the means of ` +
  `B = ${BOOTSTRAP_RESAMPLES.toLocaleString('en-US')} resamples of the repeats (with replacement; mulberry32 PRNG, ` +
  `seed ${BOOTSTRAP_SEED}, so the same data gives the same interval); CV = sd / mean. With fewer repeats ` +
  'there is no CI and no CV.';
