import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFlops } from '../../engine/model/flops.ts';
import { ensureReferenceModel, referenceModelPath } from '../../engine/model/model-cache.ts';
import { inspectModel, type ModelInfo } from '../../engine/model/model-info.ts';
import { decodeModel } from '../../engine/model/onnx-proto.ts';
import {
  REFERENCE_FLOPS_PER_SAMPLE,
  REFERENCE_LABEL,
  REFERENCE_PARAMETERS,
  REFERENCE_SEED,
  buildReferenceModel,
} from '../../engine/model/reference-model.ts';

let dataDir: string;
let modelPath: string;
let info: ModelInfo;
let session: ort.InferenceSession;

/** Deterministic pseudo-galaxies: smooth images with per-sample structure, magnitudes around 20. */
function inputs(batch: number, offset = 0) {
  const image = new Float32Array(batch * 5120);
  const magnitude = new Float32Array(batch * 5);
  for (let b = 0; b < batch; b++) {
    const s = b + offset;
    for (let i = 0; i < 5120; i++)
      image[b * 5120 + i] = Math.sin(i * 0.013 * (s + 1)) * Math.exp(-((i % 1024) / 1024)) + 0.1 * s;
    for (let i = 0; i < 5; i++) magnitude[b * 5 + i] = 18 + ((s * 7 + i * 3) % 11) * 0.5;
  }
  return { image, magnitude };
}

async function predict(batch: number, offset = 0): Promise<ort.Tensor> {
  const { image, magnitude } = inputs(batch, offset);
  const out = await session.run({
    [info.binding.image]: new ort.Tensor('float32', image, [batch, 5, 32, 32]),
    [info.binding.magnitude]: new ort.Tensor('float32', magnitude, [batch, 5]),
  });
  return out[info.binding.output];
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-model-'));
  modelPath = await ensureReferenceModel(dataDir);
  info = await inspectModel(modelPath);
  session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
});

afterAll(async () => {
  await session?.release();
  await rm(dataDir, { recursive: true, force: true });
});

describe('reference AstroMAE', () => {
  it('has the interface of issue 3: image [batch,5,32,32], magnitude [batch,5] -> redshift [batch,1], opset 17', () => {
    expect(info.inputs).toEqual([
      { name: 'image', shape: ['batch', 5, 32, 32], dtype: 'float32' },
      { name: 'magnitude', shape: ['batch', 5], dtype: 'float32' },
    ]);
    expect(info.outputs).toEqual([{ name: 'redshift', shape: ['batch', 1], dtype: 'float32' }]);
    expect(info.opset).toBe(17);
    expect(info.binding).toEqual({ image: 'image', magnitude: 'magnitude', output: 'redshift' });
  });

  it('has 15,764,097 trainable parameters (BatchNorm running statistics excluded)', () => {
    expect(REFERENCE_PARAMETERS).toBe(15_764_097);
    expect(Math.abs(info.parameters - 15_764_097) / 15_764_097).toBeLessThanOrEqual(0.001);
    expect(info.parameters).toBe(15_764_097);
  });

  it('costs 765,058,816 FLOPs (382,529,408 multiply-adds) per galaxy, attention matmuls included', () => {
    expect(info.flopsPerSample).toBe(765_058_816);
    expect(REFERENCE_FLOPS_PER_SAMPLE).toBe(765_058_816);
    const model = decodeModel(buildReferenceModel());
    const count = countFlops(model.graph!, 17)!;
    expect(count.macs).toBe(382_529_408);
    // Per op: the ViT linears (65 tokens), attention QKᵀ and AV (12 blocks × 2 × 3 heads × 65·65·64), and the rest.
    const vitLinearMacs = 12 * 65 * (192 * 576 + 192 * 192 + 192 * 768 + 768 * 192);
    const attentionMacs = 12 * 2 * 3 * 65 * 65 * 64;
    expect(count.byOp.MatMul).toBe(2 * (vitLinearMacs + attentionMacs));
    expect(count.byOp.Gemm).toBe(
      2 *
        (192 * 192 +
          192 * 1096 +
          1096 * 1096 +
          192 * 1096 +
          1096 * 1096 +
          5 * 1024 +
          4 * 1024 * 1024 +
          3216 * 1024 +
          1024),
    );
  });

  it('carries the reference-weights label, seed and builder version in its metadata', () => {
    expect(info.reference).toBe(true);
    expect(info.label).toBe(REFERENCE_LABEL);
    expect(REFERENCE_LABEL).toBe('reference weights — predictions are not physical');
    const meta = Object.fromEntries(decodeModel(buildReferenceModel()).metadataProps!.map((p) => [p.key, p.value]));
    expect(meta['cosmicai.seed']).toBe(String(REFERENCE_SEED));
    expect(meta['cosmicai.builder_version']).toBe('1');
  });

  it('runs in onnxruntime-node at batch 1 and 7 with finite outputs of shape [B,1] that differ between galaxies', async () => {
    const one = await predict(1);
    expect(one.dims).toEqual([1, 1]);
    const seven = await predict(7);
    expect(seven.dims).toEqual([7, 1]);
    const values = Array.from(seven.data as Float32Array);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(new Set(values.map((v) => v.toFixed(6))).size).toBe(7);
    // Batching must not change a galaxy's prediction.
    expect(values[0]).toBeCloseTo((one.data as Float32Array)[0], 5);
    const third = await predict(1, 3);
    expect(values[3]).toBeCloseTo((third.data as Float32Array)[0], 5);
  });

  it('is deterministic by seed: same seed, same bytes; another seed, other weights', () => {
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const a = buildReferenceModel();
    const b = buildReferenceModel({ seed: REFERENCE_SEED });
    const c = buildReferenceModel({ seed: 7 });
    expect(sha(a)).toBe(sha(b));
    expect(sha(a)).not.toBe(sha(c));
  });
});

describe('ensureReferenceModel', () => {
  it('caches the model under models/ and builds it once, even for concurrent callers', async () => {
    expect(modelPath).toBe(referenceModelPath(dataDir));
    expect(modelPath).toBe(path.join(dataDir, 'models', 'astromae-reference-v2.onnx'));
    const before = await stat(modelPath);
    const again = await Promise.all([ensureReferenceModel(dataDir), ensureReferenceModel(dataDir)]);
    expect(again).toEqual([modelPath, modelPath]);
    expect((await stat(modelPath)).mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(path.join(dataDir, 'models'))).toEqual(['astromae-reference-v2.onnx']);
  });

  it('builds concurrently into a fresh folder without leaving temporary files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-model-fresh-'));
    try {
      const paths = await Promise.all([
        ensureReferenceModel(dir),
        ensureReferenceModel(dir),
        ensureReferenceModel(dir),
      ]);
      expect(new Set(paths).size).toBe(1);
      expect(await readdir(path.join(dir, 'models'))).toEqual(['astromae-reference-v2.onnx']);
      expect((await inspectModel(paths[0])).parameters).toBe(15_764_097);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
