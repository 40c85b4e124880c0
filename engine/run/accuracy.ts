import { median } from './percentiles.ts';

/** The redshift metrics astronomers quote, with Δz = z_pred − z_true. */
export interface AccuracyMetrics {
  /** Galaxies with a label and a finite prediction. */
  count: number;
  /** Mean |Δz|. */
  mae: number;
  /** Mean Δz². */
  mse: number;
  /** Mean Δz. */
  bias: number;
  /** 1.48 · median(|Δz − median Δz| / (1 + z_true)). */
  sigma_nmad: number;
  /** 1 − Σ Δz² / Σ (z_true − mean z_true)²; null when every z_true is equal. */
  r2: number | null;
  /** Fraction with |Δz| / (1 + z_true) > 0.15. */
  outlier_fraction: number;
}

export const CATASTROPHIC_OUTLIER_THRESHOLD = 0.15;

/**
 * Accuracy over the galaxies that have a label and a finite prediction; null when there are none.
 * Pairs where either value is NaN/Inf are left out (the run record counts non-finite inputs separately).
 */
export function computeAccuracy(zTrue: ArrayLike<number>, zPred: ArrayLike<number>): AccuracyMetrics | null {
  if (zTrue.length !== zPred.length) {
    throw new RangeError(`z_true has ${zTrue.length} values but z_pred has ${zPred.length}`);
  }
  const keep: number[] = [];
  for (let i = 0; i < zTrue.length; i++) {
    if (Number.isFinite(zTrue[i]) && Number.isFinite(zPred[i])) keep.push(i);
  }
  const n = keep.length;
  if (n === 0) return null;

  const dz = new Float64Array(n);
  let sumAbs = 0,
    sumSq = 0,
    sum = 0,
    sumTrue = 0,
    outliers = 0;
  for (let k = 0; k < n; k++) {
    const t = zTrue[keep[k]];
    const d = zPred[keep[k]] - t;
    dz[k] = d;
    sumAbs += Math.abs(d);
    sumSq += d * d;
    sum += d;
    sumTrue += t;
    if (Math.abs(d) / (1 + t) > CATASTROPHIC_OUTLIER_THRESHOLD) outliers++;
  }
  const meanTrue = sumTrue / n;
  let ssTot = 0;
  for (const i of keep) ssTot += (zTrue[i] - meanTrue) ** 2;

  const medDz = median(dz);
  const scaled = new Float64Array(n);
  for (let k = 0; k < n; k++) scaled[k] = Math.abs(dz[k] - medDz) / (1 + zTrue[keep[k]]);

  return {
    count: n,
    mae: sumAbs / n,
    mse: sumSq / n,
    bias: sum / n,
    sigma_nmad: 1.48 * median(scaled),
    r2: ssTot > 0 ? 1 - sumSq / ssTot : null,
    outlier_fraction: outliers / n,
  };
}
