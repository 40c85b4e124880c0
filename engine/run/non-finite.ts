/** Counts NaN and ±Inf values across the given arrays (one pass, no allocation). */
export function countNonFinite(...arrays: Float32Array[]): { nan: number; inf: number } {
  let nan = 0;
  let inf = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v - v !== 0) {
        // Only NaN and ±Inf make v − v non-zero (it is NaN for both).
        if (v !== v) nan++;
        else inf++;
      }
    }
  }
  return { nan, inf };
}
