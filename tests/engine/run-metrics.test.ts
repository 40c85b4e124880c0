import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile, percentiles, median } from '../../engine/run/percentiles.ts';
import { computeAccuracy } from '../../engine/run/accuracy.ts';
import { PredictionTable, predictionsToCsv, writePredictionsCsv, formatFloat32 } from '../../engine/run/predictions.ts';
import { countNonFinite } from '../../engine/run/non-finite.ts';
import { parseCpuInfo, hostInfo } from '../../engine/run/host-info.ts';
import { studyRates, INPUT_BITS_PER_SAMPLE, HostInfoSchema } from '../../base/local-run-record.ts';

describe('percentiles (numpy linear interpolation)', () => {
  it('matches numpy.percentile on hand-checked values', () => {
    expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12);
    expect(percentiles([50, 15, 40, 20, 35], [50, 90, 99])).toEqual([35, 46, expect.closeTo(49.6, 12)]);
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2], 0)).toBe(1);
    expect(percentile([1, 2], 100)).toBe(2);
  });
  it('is NaN for no values and refuses q outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
  });
});

describe('accuracy metrics', () => {
  it('computes MAE, MSE, bias, sigma_NMAD, R2 and the outlier fraction', () => {
    const a = computeAccuracy([0.1, 0.2, 0.5, 1.0], [0.12, 0.15, 0.9, 1.0])!;
    // dz = [0.02, -0.05, 0.4, 0]
    expect(a.count).toBe(4);
    expect(a.mae).toBeCloseTo(0.1175, 12);
    expect(a.mse).toBeCloseTo(0.040725, 12);
    expect(a.bias).toBeCloseTo(0.0925, 12);
    // median dz = 0.01; |dz - 0.01|/(1+z) = [0.00909.., 0.05, 0.26, 0.005] -> median 0.0295454..; x1.48
    expect(a.sigma_nmad).toBeCloseTo(1.48 * ((0.01 / 1.1 + 0.05) / 2), 12);
    expect(a.r2!).toBeCloseTo(1 - 0.1629 / 0.49, 12);
    expect(a.outlier_fraction).toBe(0.25);
  });
  it('skips non-finite pairs, returns null without labelled pairs, and null R2 for constant z_true', () => {
    expect(computeAccuracy([Number.NaN], [0.3])).toBeNull();
    const a = computeAccuracy([0.2, 0.2, Number.NaN], [0.3, 0.1, 5])!;
    expect(a.count).toBe(2);
    expect(a.bias).toBeCloseTo(0, 12);
    expect(a.r2).toBeNull();
    expect(() => computeAccuracy([1, 2], [1])).toThrow(/2 values/);
  });
});

describe('predictions CSV', () => {
  const table = PredictionTable.concat([
    new PredictionTable({
      index: Int32Array.of(0, 1),
      partition: Int32Array.of(1, 1),
      zTrue: Float32Array.of(0.25, 0.5),
      zPred: Float32Array.of(0.3, 0.1),
    }),
    new PredictionTable({
      index: Int32Array.of(2),
      partition: Int32Array.of(2),
      zTrue: Float32Array.of(Number.NaN),
      zPred: Float32Array.of(0.7),
    }),
  ]);
  it('writes the header, empty z_true without labels, and float32 values that read back exactly', async () => {
    const csv = predictionsToCsv(table);
    expect(csv.split('\n')).toEqual([
      'index,partition,z_true,z_pred',
      '0,1,0.25,0.300000012',
      '1,1,0.5,0.100000001',
      '2,2,,0.699999988',
      '',
    ]);
    expect(Math.fround(Number(formatFloat32(Math.fround(0.1))))).toBe(Math.fround(0.1));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-csv-'));
    const file = path.join(dir, 'sub', 'p.csv');
    await writePredictionsCsv(file, table);
    expect(readFileSync(file, 'utf8')).toBe(csv);
    expect(table.toRows()[2]).toEqual({ index: 2, partition: 2, z_true: null, z_pred: Math.fround(0.7) });
    expect(table.labelled().zTrue).toEqual(Float32Array.of(0.25, 0.5));
  });
  it('names the file when it cannot write', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-csv-'));
    await expect(writePredictionsCsv(dir, table)).rejects.toThrow(new RegExp(`cannot write predictions to ${dir}`));
  });
});

describe('non-finite input counting', () => {
  it('counts NaN and both infinities across arrays', () => {
    expect(countNonFinite(Float32Array.of(1, Number.NaN, Infinity), Float32Array.of(-Infinity, Number.NaN, 0))).toEqual(
      { nan: 2, inf: 2 },
    );
    expect(countNonFinite(new Float32Array(10))).toEqual({ nan: 0, inf: 0 });
  });

  it('finds them anywhere: block edges, unrolled lanes, the tail, many in one block, negative zeros', () => {
    const naive = (a: Float32Array) => {
      let nan = 0;
      let inf = 0;
      for (const v of a) {
        if (Number.isNaN(v)) nan++;
        else if (!Number.isFinite(v)) inf++;
      }
      return { nan, inf };
    };
    const n = 3 * 4096 + 13;
    const a = new Float32Array(n).map((_, i) => (i % 3 === 0 ? -0 : (i % 7) - 3.5));
    expect(countNonFinite(a)).toEqual({ nan: 0, inf: 0 });
    for (const at of [0, 1, 7, 4095, 4096, 4103, 8191, n - 5, n - 1]) {
      const b = a.slice();
      b[at] = Number.NaN;
      expect(countNonFinite(b), `NaN at ${at}`).toEqual({ nan: 1, inf: 0 });
      b[at] = at % 2 ? Infinity : -Infinity;
      expect(countNonFinite(b), `Inf at ${at}`).toEqual({ nan: 0, inf: 1 });
    }
    const c = a.slice();
    for (let i = 4096; i < 8192; i += 3) c[i] = i % 2 ? Number.NaN : -Infinity;
    c[n - 1] = Infinity;
    expect(countNonFinite(c, a, c.subarray(5))).toEqual({ nan: 2 * naive(c).nan, inf: 2 * naive(c).inf });
  });
});

describe('host info', () => {
  it('counts physical cores from core ids and keeps flags of interest', () => {
    const block = (p: number, phys: number, core: number) =>
      `processor\t: ${p}\nmodel name\t: Test CPU\nphysical id\t: ${phys}\ncore id\t\t: ${core}\nflags\t\t: fpu avx2 avx512f avx512_vnni amx_tile\n`;
    const text = [block(0, 0, 0), block(1, 0, 0), block(2, 0, 1), block(3, 0, 1), block(4, 1, 0)].join('\n');
    expect(parseCpuInfo(text)).toEqual({
      model: 'Test CPU',
      physicalCores: 3,
      flags: ['avx2', 'avx512f', 'avx512_vnni', 'amx_tile'],
    });
    expect(parseCpuInfo('processor\t: 0\nFeatures\t: asimd\n').physicalCores).toBeNull();
  });
  it('describes this machine', () => {
    const h = hostInfo();
    expect(HostInfoSchema.parse(h)).toEqual(h);
    expect(h.physicalCores).toBeLessThanOrEqual(h.logicalCores);
    expect(h.onnxruntime).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('study fields', () => {
  it('derives the per-batch time, bits per second and samples per second', () => {
    const r = studyRates({
      samples: 100,
      batches: 4,
      inferenceSeconds: 2,
      cpuSeconds: 3.5,
      peakRssBytes: 512 * 2 ** 20,
    });
    expect(r).toEqual({
      'total_cpu_time (seconds)': 3.5,
      'total_cpu_memory (MB)': 512,
      'execution_time (seconds/batch)': 0.5,
      num_batches: 4,
      throughput_bps: (100 * 5125 * 32) / 2,
      sample_persec: 50,
    });
    expect(INPUT_BITS_PER_SAMPLE).toBe(164000);
    expect(
      studyRates({ samples: 0, batches: 0, inferenceSeconds: 0, cpuSeconds: 0, peakRssBytes: 0 }).sample_persec,
    ).toBe(0);
  });
});
