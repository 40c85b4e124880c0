import { openDataset } from './dataset.ts';
import { isSynthetic } from './synthetic-marker.ts';
import type { SourceDtype, TensorName } from './types.ts';

/** Per-tensor statistics over the whole dataset. sum/min/max/mean cover finite values; NaN and ±Inf are counted. */
export interface TensorStats {
  name: TensorName;
  shape: number[];
  /** dtype stored in the files (values are compared as float32 after conversion). */
  dtype: SourceDtype;
  /** float64 sum of the float32 values. */
  sum: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  nan: number;
  inf: number;
}

/** What `cosmicai inspect --json` prints. `synthetic` appears only for data made by the sample generator. */
export interface InspectReport {
  files: string[];
  samples: number;
  bytes: number;
  tensors: TensorStats[];
  synthetic?: true;
}

class Accumulator {
  sum = 0;
  min = Infinity;
  max = -Infinity;
  finite = 0;
  nan = 0;
  inf = 0;

  add(a: Float32Array): void {
    let sum = this.sum;
    let min = this.min;
    let max = this.max;
    let bad = 0;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v - v !== 0) {
        bad++;
        continue;
      }
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (bad) {
      // NaN or ±Inf are rare, so they are classified in a second pass only when present.
      let nan = 0;
      for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i])) nan++;
      this.nan += nan;
      this.inf += bad - nan;
    }
    this.sum = sum;
    this.min = min;
    this.max = max;
    this.finite += a.length - bad;
  }

  result(name: TensorName, shape: number[], dtype: SourceDtype): TensorStats {
    const any = this.finite > 0;
    return {
      name,
      shape,
      dtype,
      sum: this.sum,
      min: any ? this.min : null,
      max: any ? this.max : null,
      mean: any ? this.sum / this.finite : null,
      nan: this.nan,
      inf: this.inf,
    };
  }
}

/** Reads every partition once, one at a time, and reports counts, bytes and per-tensor statistics. */
export async function inspectDataset(spec: string | string[]): Promise<InspectReport> {
  const ds = await openDataset(spec);
  const acc = { images: new Accumulator(), magnitudes: new Accumulator(), redshifts: new Accumulator() };
  for (const ref of ds.partitions) {
    const p = await ds.load(ref);
    acc.images.add(p.images);
    acc.magnitudes.add(p.magnitudes);
    if (p.redshifts) acc.redshifts.add(p.redshifts);
  }
  const dtypes = ds.dtypes ?? { images: 'float32', magnitudes: 'float32', redshifts: 'float32' };
  const tensors = [
    acc.images.result('images', ds.shapes.images, dtypes.images),
    acc.magnitudes.result('magnitudes', ds.shapes.magnitudes, dtypes.magnitudes),
  ];
  if (ds.shapes.redshifts)
    tensors.push(acc.redshifts.result('redshifts', ds.shapes.redshifts, dtypes.redshifts ?? 'float32'));
  const files = ds.partitions.map((r) => r.path);
  const report: InspectReport = { files, samples: ds.samples, bytes: ds.bytes, tensors };
  if (isSynthetic(files)) report.synthetic = true;
  return report;
}
