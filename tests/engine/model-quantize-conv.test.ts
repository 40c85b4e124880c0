import { describe, expect, it } from 'vitest';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  GraphBuilder,
  attrFloat,
  attrInt,
  attrInts,
  modelMessage,
  tensorValueInfo,
} from '../../engine/model/onnx-builder.ts';
import { decodeModel, encodeModel } from '../../engine/model/onnx-proto.ts';
import { quantizeModel } from '../../engine/model/quantize.ts';
import { int8NeedsReducedRange } from '../../engine/model/int8-kernels.ts';
import { buildReferenceModel } from '../../engine/model/reference-model.ts';
import { readGalaxyPartition } from '../../engine/data/pt-reader.ts';
import { Prng } from '../../engine/prng.ts';
import { FIXTURES } from '../support/engine-run-helpers.ts';
import { int8DriftBound } from '../support/int8-tolerance.ts';

const opsOf = (bytes: Uint8Array) => decodeModel(bytes).graph!.node!.map((n) => n.opType);
const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/**
 * x [B,4,8,8] → Conv 3×3 (pad 1) → BatchNormalization (non-trivial statistics) → Relu → y; a 1×1 Conv on the same
 * x → z; a grouped conv → u (stays fp32).
 */
function convModel(): Uint8Array {
  const rng = new Prng(9);
  const g = new GraphBuilder();
  const w = (name: string, dims: number[], bound: number) =>
    g.weight(name, dims, rng.uniform(new Float32Array(dims.reduce((a, b) => a * b, 1)), bound));
  const conv3 = g.op('Conv', ['x', w('c3.weight', [6, 4, 3, 3], 0.3), w('c3.bias', [6], 0.1)], 'c3', [
    attrInts('kernel_shape', [3, 3]),
    attrInts('pads', [1, 1, 1, 1]),
  ]);
  const gamma = g.weight('bn.weight', [6], Float32Array.from([1.5, 0.5, 2, 1, 0.8, 1.2]));
  const beta = g.weight('bn.bias', [6], Float32Array.from([0.1, -0.2, 0.3, 0, 0.05, -0.1]));
  const mean = g.weight('bn.mean', [6], Float32Array.from([0.2, -0.1, 0, 0.3, -0.3, 0.1]));
  const variance = g.weight('bn.var', [6], Float32Array.from([0.5, 2, 1, 0.25, 1.5, 0.8]));
  const bn = g.op('BatchNormalization', [conv3, gamma, beta, mean, variance], 'bn', [attrFloat('epsilon', 1e-5)]);
  g.op('Relu', [bn], 'y');
  g.op('Conv', ['x', w('c1.weight', [5, 4, 1, 1], 0.5)], 'z', [attrInts('kernel_shape', [1, 1])]);
  g.op('Conv', ['x', w('cg.weight', [4, 2, 1, 1], 0.5)], 'u', [attrInts('kernel_shape', [1, 1]), attrInt('group', 2)]);
  return encodeModel(
    modelMessage({
      graphName: 'convs',
      builder: g,
      inputs: [tensorValueInfo('x', ['batch', 4, 8, 8])],
      outputs: [
        tensorValueInfo('y', ['batch', 6, 8, 8]),
        tensorValueInfo('z', ['batch', 5, 8, 8]),
        tensorValueInfo('u', ['batch', 4, 8, 8]),
      ],
      opset: 17,
      producerVersion: 't',
      docString: '',
      metadata: {},
    }),
  );
}

describe("quantize option convs: 'int8' (ConvInteger)", () => {
  it('rewrites group-1 convs with BN folded and a shared input quantizer, and stays close to fp32', async () => {
    const fp32 = convModel();
    const reduceRange = int8NeedsReducedRange();
    const { bytes, report } = quantizeModel(fp32, { reduceRange, convs: 'int8' });
    const ops = opsOf(bytes);
    expect(count(ops, 'ConvInteger')).toBe(2);
    expect(count(ops, 'DynamicQuantizeLinear')).toBe(1); // both convs read x: one quantizer
    expect(count(ops, 'BatchNormalization')).toBe(0);
    expect(count(ops, 'Conv')).toBe(1); // the grouped one
    expect(report.quantized.map((q) => [q.node, q.op, q.k, q.n, q.biasFolded])).toEqual([
      ['c3', 'Conv', 36, 6, true],
      ['z', 'Conv', 4, 5, false],
    ]);
    expect(report.skipped).toEqual([{ node: 'u', reason: 'grouped conv' }]);

    const rng = new Prng(10);
    const x = new ort.Tensor('float32', rng.uniform(new Float32Array(3 * 4 * 64), 1), [3, 4, 8, 8]);
    const run = async (b: Uint8Array) => {
      const session = await ort.InferenceSession.create(b, { intraOpNumThreads: 1 });
      const out = await session.run({ x });
      await session.release();
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
    };
    const [a, q] = [await run(fp32), await run(bytes)];
    for (const name of ['y', 'z']) {
      const range = a[name].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      // 8-bit activations and 7- or 8-bit weights: within 3% of the range (a missed BN scale is off by 50%+).
      expect(maxAbsDiff(a[name], q[name]), name).toBeLessThan(0.03 * range);
      expect(maxAbsDiff(a[name], q[name]), name).toBeGreaterThan(0);
    }
    expect(maxAbsDiff(a.u, q.u)).toBe(0);
  });

  it('quantizes the reference model’s 30 convs and stays within the int8 drift bound', async () => {
    const fused = buildReferenceModel({ variant: 'fused' });
    const reduceRange = int8NeedsReducedRange();
    const { bytes, report } = quantizeModel(fused, { reduceRange, convs: 'int8' });
    expect(count(opsOf(bytes), 'ConvInteger')).toBe(30);
    expect(count(opsOf(bytes), 'Conv')).toBe(0);
    expect(report.quantized.filter((q) => q.op === 'Conv' && q.biasFolded)).toHaveLength(28); // the BN'd branches
    const part = await readGalaxyPartition(path.join(FIXTURES, 'small-64.pt'));
    const predict = async (b: Uint8Array) => {
      const session = await ort.InferenceSession.create(b, { intraOpNumThreads: 1 });
      const z = new Float32Array(32);
      for (let s = 0; s < 32; s += 16) {
        const out = await session.run({
          image: new ort.Tensor('float32', part.images.subarray(s * 5120, (s + 16) * 5120), [16, 5, 32, 32]),
          magnitude: new ort.Tensor('float32', part.magnitudes.subarray(s * 5, (s + 16) * 5), [16, 5]),
        });
        z.set(out.redshift.data as Float32Array, s);
      }
      await session.release();
      return z;
    };
    const [ref, withConvs, without] = [
      await predict(fused),
      await predict(bytes),
      await predict(quantizeModel(fused, { reduceRange }).bytes),
    ];
    const { bound, why } = int8DriftBound();
    expect(maxAbsDiff(ref, withConvs), why).toBeLessThan(bound);
    expect(maxAbsDiff(withConvs, without)).toBeGreaterThan(0);
  });
});
