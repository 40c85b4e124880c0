import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { countFlops } from '../../engine/model/flops.ts';
import { countParameters } from '../../engine/model/model-info.ts';
import { decodeModel } from '../../engine/model/onnx-proto.ts';
import { Prng } from '../../engine/prng.ts';
import { quantizeModel } from '../../engine/model/quantize.ts';
import { buildReferenceModel } from '../../engine/model/reference-model.ts';

const opsOf = (bytes: Uint8Array) =>
  decodeModel(bytes).graph!.node!.map((n) => `${n.domain ? `${n.domain}:` : ''}${n.opType}`);
const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;

async function predict(
  bytes: Uint8Array,
  image: Float32Array,
  magnitude: Float32Array,
  batch: number,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const out = await session.run({
    image: new ort.Tensor('float32', image, [batch, 5, 32, 32]),
    magnitude: new ort.Tensor('float32', magnitude, [batch, 5]),
  });
  await session.release();
  return out.redshift.data as Float32Array;
}

describe('the fused reference variant (com.microsoft Attention)', () => {
  const standard = buildReferenceModel();
  const fused = buildReferenceModel({ variant: 'fused' });
  const batch = 3;
  const rng = new Prng(5);
  const image = rng.uniform(new Float32Array(batch * 5120), 1);
  const magnitude = Float32Array.from({ length: batch * 5 }, (_, i) => 18 + (i % 7));

  it('has the same parameters and FLOPs, with the attention in 12 Attention nodes', () => {
    const m = decodeModel(fused);
    expect(countParameters(m)).toBe(15_764_097);
    const flops = countFlops(m.graph!, 17)!;
    expect(flops.flops).toBe(765_058_816);
    expect(flops.byOp.Attention).toBe(2 * 12 * (65 * 192 * 576 + 2 * 65 * 65 * 192));
    const ops = opsOf(fused);
    expect(count(ops, 'com.microsoft:Attention')).toBe(12);
    expect(ops).not.toContain('Split');
    expect(m.opsetImport).toEqual(expect.arrayContaining([expect.objectContaining({ domain: 'com.microsoft' })]));
    expect(m.metadataProps!.find((p) => p.key === 'cosmicai.builder_version')?.value).toBe('2');
    expect(opsOf(standard).every((o) => !o.includes(':'))).toBe(true); // the standard variant: opset-17 ops only
  });

  it('computes what the standard graph computes (same weights)', async () => {
    const [a, b] = [await predict(standard, image, magnitude, batch), await predict(fused, image, magnitude, batch)];
    for (let i = 0; i < batch; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
  });

  it('quantizes to QAttention + DynamicQuantizeMatMul and stays close to fp32', async () => {
    const { bytes, report } = quantizeModel(fused);
    const ops = opsOf(bytes);
    expect(count(ops, 'com.microsoft:QAttention')).toBe(12);
    expect(count(ops, 'DynamicQuantizeLinear')).toBe(12);
    expect(count(ops, 'com.microsoft:DynamicQuantizeMatMul')).toBe(48);
    expect(report.quantized.filter((q) => q.op === 'Attention').map((q) => [q.k, q.n])[0]).toEqual([192, 576]);
    expect(countFlops(decodeModel(bytes).graph!, 17)!.flops).toBe(765_058_816);
    const [a, b] = [await predict(fused, image, magnitude, batch), await predict(bytes, image, magnitude, batch)];
    for (let i = 0; i < batch; i++) {
      expect(Math.abs(a[i] - b[i])).toBeLessThan(0.01);
      expect(a[i]).not.toBe(b[i]);
    }
  });
});
