/**
 * The q-th percentile (0..100) with linear interpolation between closest ranks — numpy's default
 * (`method='linear'`): position (n−1)·q/100 in the sorted values. NaN for an empty input.
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  return percentiles(values, [q])[0];
}

/** Several percentiles of one sample, sorting it once. */
export function percentiles(values: ArrayLike<number>, qs: number[]): number[] {
  for (const q of qs) {
    if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be within 0..100, got ${q}`);
  }
  const n = values.length;
  if (n === 0) return qs.map(() => Number.NaN);
  const sorted = Float64Array.from(values).sort();
  return qs.map((q) => {
    const pos = ((n - 1) * q) / 100;
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  });
}

/** The median, numpy-style (the mean of the two middle values for an even count). */
export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}
