/** Summary statistics over repeats. Standard deviation is the SAMPLE one (divides by n − 1), like pandas' std(). */

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
