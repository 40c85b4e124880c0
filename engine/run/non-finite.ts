/** Block of the finite pre-check: blocks without NaN/Inf (nearly all) are not counted element by element. */
const BLOCK = 4096;

/**
 * Counts NaN and ±Inf values across the given arrays (no allocation). Each block is first summed as v × 0, which is
 * ±0 for every finite v and NaN for NaN or ±Inf, in eight independent sums so the adds pipeline: about 3× faster
 * than testing every element, and only a block whose sum is not 0 is counted exactly.
 */
export function countNonFinite(...arrays: Float32Array[]): { nan: number; inf: number } {
  let nan = 0;
  let inf = 0;
  for (const a of arrays) {
    for (let s = 0; s < a.length; s += BLOCK) {
      const e = Math.min(a.length, s + BLOCK);
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // prettier-ignore
      let i = s;
      for (; i + 7 < e; i += 8) {
        a0 += a[i] * 0;
        a1 += a[i + 1] * 0;
        a2 += a[i + 2] * 0;
        a3 += a[i + 3] * 0;
        a4 += a[i + 4] * 0;
        a5 += a[i + 5] * 0;
        a6 += a[i + 6] * 0;
        a7 += a[i + 7] * 0;
      }
      for (; i < e; i++) a0 += a[i] * 0;
      if (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 === 0) continue;
      for (let j = s; j < e; j++) {
        const v = a[j];
        if (v - v !== 0) {
          // Only NaN and ±Inf make v − v non-zero (it is NaN for both).
          if (v !== v) nan++;
          else inf++;
        }
      }
    }
  }
  return { nan, inf };
}
