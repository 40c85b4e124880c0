import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, attrFloat, attrInt, modelMessage, tensorValueInfo } from '../../engine/model/onnx-builder.ts';
import { DataType, decodeModel, encodeModel, type TensorMsg } from '../../engine/model/onnx-proto.ts';
import { Prng } from '../../engine/prng.ts';
import { MS_DOMAIN, QuantizeError, quantizeModel, quantizePerColumn } from '../../engine/model/quantize.ts';
import { ensureQuantizedModel } from '../../engine/model/quantized-cache.ts';
import { int8NeedsReducedRange } from '../../engine/model/int8-kernels.ts';
import { LocalRunRecordSchema } from '../../base/local-run-record.ts';
import { FIXTURES, SHARED_MODEL_DIR, referenceModel } from '../support/engine-run-helpers.ts';
import { int8DriftBound } from '../support/int8-tolerance.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'cosmicai-quantize-'));

/**
 * A small model with every pattern the quantizer handles: a 3-D MatMul + Add bias (token linear), a MatMul with
 * no bias, a Gemm with transB, alpha and beta, and a Gemm without C; plus an activation × activation MatMul that
 * must stay fp32.
 */
function smallModel(): Uint8Array {
  const rng = new Prng(7);
  const g = new GraphBuilder();
  const w = (name: string, dims: number[], bound = 0.5) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = rng.uniform(new Float32Array(n), bound);
    // A column with a much larger range than the others: a per-tensor scale would flatten the rest.
    if (dims.length === 2) for (let i = 0; i < dims[0]; i++) data[i * dims[1]] *= 20;
    return g.weight(name, dims, data);
  };
  const h = g.op(
    'Add',
    [g.op('MatMul', ['tokens', w('fc1.weight', [16, 32])], 'fc1.matmul'), w('fc1.bias', [32])],
    'fc1',
  );
  const r = g.op('Relu', [h], 'relu1');
  const t = g.op('MatMul', [r, w('fc2.weight', [32, 8])], 'fc2');
  const gram = g.op('MatMul', [t, g.op('Transpose', [t], 't', [{ name: 'perm', type: 7, ints: [0, 2, 1] }])], 'gram');
  g.op('Identity', [gram], 'tokens_out');
  const z = g.op('Gemm', ['flat', w('gemm.weight', [24, 16]), w('gemm.bias', [24])], 'gemm', [
    attrInt('transB', 1),
    attrFloat('alpha', 0.5),
    attrFloat('beta', 2),
  ]);
  g.op('Gemm', [g.op('Relu', [z], 'relu2'), w('out.weight', [24, 1])], 'out');
  return encodeModel(
    modelMessage({
      graphName: 'small',
      builder: g,
      inputs: [tensorValueInfo('tokens', ['batch', 4, 16]), tensorValueInfo('flat', ['batch', 16])],
      outputs: [tensorValueInfo('tokens_out', ['batch', 4, 4]), tensorValueInfo('out', ['batch', 1])],
      opset: 17,
      producerVersion: 'test',
      docString: 'quantizer test model',
      metadata: {},
    }),
  );
}

const initializer = (bytes: Uint8Array, name: string): TensorMsg => {
  const t = decodeModel(bytes).graph!.initializer!.find((x) => x.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
};
const floats = (t: TensorMsg) => new Float32Array(new Uint8Array(t.rawData!).buffer);

async function runBoth(fp32: Uint8Array, int8: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const out: Array<Record<string, Float32Array>> = [];
  for (const bytes of [fp32, int8]) {
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    const r = await session.run(feeds);
    out.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as Float32Array])));
    await session.release();
  }
  return out;
}

describe('quantizePerColumn', () => {
  it('gives each output column its own symmetric scale and rounds within half a step', () => {
    const k = 3;
    const n = 2;
    const w = Float32Array.from([0.5, -100, -1, 50, 0.25, 0]);
    const { q, scale } = quantizePerColumn(w, k, n);
    expect(Array.from(scale)).toEqual([Math.fround(1 / 127), Math.fround(100 / 127)]);
    expect(Array.from(q)).toEqual([64, -127, -127, 64, 32, 0]);
    for (let i = 0; i < w.length; i++)
      expect(Math.abs(q[i] * scale[i % n] - w[i])).toBeLessThanOrEqual(scale[i % n] / 2 + 1e-7);
    expect(Array.from(quantizePerColumn(new Float32Array(4), 2, 2).scale)).toEqual([1, 1]);
    expect(Math.max(...quantizePerColumn(w, k, n, 63).q.map(Math.abs))).toBe(63);
  });
});

describe('int8NeedsReducedRange', () => {
  it('asks for 7-bit weights on x86 without VNNI or AMX, and where the flags are unknown', () => {
    const avx2 = 'flags\t\t: fpu sse sse2 avx avx2 fma';
    expect(int8NeedsReducedRange(avx2, 'x64')).toBe(true);
    expect(int8NeedsReducedRange(`${avx2} avx512f avx512_vnni`, 'x64')).toBe(false);
    expect(int8NeedsReducedRange(`${avx2} avx_vnni`, 'x64')).toBe(false);
    expect(int8NeedsReducedRange(`${avx2} amx_int8 amx_tile`, 'x64')).toBe(false);
    expect(int8NeedsReducedRange(null, 'x64')).toBe(true);
    expect(int8NeedsReducedRange(avx2, 'arm64')).toBe(false);
  });
});

describe('quantizeModel', () => {
  it('replaces weight MatMul/Gemm with DynamicQuantizeMatMul, keeps the rest, and stays close to fp32', async () => {
    const fp32 = smallModel();
    // As runLocal quantizes on this host: 7-bit weights where the int8 kernel would saturate (no VNNI).
    const reduceRange = int8NeedsReducedRange();
    const qmax = reduceRange ? 63 : 127;
    const { bytes, report } = quantizeModel(fp32, { reduceRange });
    const model = decodeModel(bytes);
    const ops = model.graph!.node!.map((n) => `${n.domain ? n.domain + ':' : ''}${n.opType}`);
    expect(ops.filter((o) => o === `${MS_DOMAIN}:DynamicQuantizeMatMul`)).toHaveLength(4);
    expect(ops).toContain('MatMul'); // the activation × activation product stays fp32
    expect(ops).not.toContain('Gemm');
    expect(ops).not.toContain('Add'); // fc1's bias went into the op
    expect(model.opsetImport).toEqual(
      expect.arrayContaining([expect.objectContaining({ domain: MS_DOMAIN, version: 1 })]),
    );
    expect(report.quantized.map((q) => [q.node, q.k, q.n, q.biasFolded])).toEqual([
      ['fc1.matmul', 16, 32, true],
      ['fc2', 32, 8, false],
      ['gemm', 16, 24, false],
      ['out', 24, 1, false],
    ]);
    expect(report.skipped).toEqual([{ node: 'gram', reason: 'its weight is not a constant initializer' }]);
    expect(report.weightBytesAfter).toBeLessThan(report.weightBytesBefore / 2);
    // fp32 weights that were quantized are gone from the file.
    expect(model.graph!.initializer!.some((t) => t.name === 'fc1.weight')).toBe(false);

    // Per-channel scales: [N] floats, each column's max |w| / 127; int8 weights transposed for Gemm transB.
    const w1 = floats(initializer(fp32, 'fc1.weight'));
    const s1 = initializer(bytes, 'fc1.weight_scale');
    expect(s1.dims).toEqual([32]);
    const scale = floats(s1);
    for (let j = 0; j < 32; j++) {
      let m = 0;
      for (let i = 0; i < 16; i++) m = Math.max(m, Math.abs(w1[i * 32 + j]));
      expect(scale[j]).toBeCloseTo(m / qmax, 7);
    }
    expect(scale[0]).toBeGreaterThan(5 * scale[1]);
    const qg = initializer(bytes, 'gemm.weight_quantized');
    expect(qg.dataType).toBe(DataType.INT8);
    expect(qg.dims).toEqual([16, 24]);
    const bias = floats(initializer(bytes, 'gemm.weight_bias'));
    expect(bias[3]).toBeCloseTo(2 * floats(initializer(fp32, 'gemm.bias'))[3], 6); // beta folded in

    const batch = 64;
    const rng = new Prng(11);
    const feeds = {
      tokens: new ort.Tensor('float32', rng.uniform(new Float32Array(batch * 4 * 16), 1), [batch, 4, 16]),
      flat: new ort.Tensor('float32', rng.uniform(new Float32Array(batch * 16), 1), [batch, 16]),
    };
    const [a, b] = await runBoth(fp32, bytes, feeds);
    for (const name of ['tokens_out', 'out']) {
      const range = Math.max(...a[name].map(Math.abs));
      let worst = 0;
      for (let i = 0; i < a[name].length; i++) worst = Math.max(worst, Math.abs(a[name][i] - b[name][i]));
      // 3% of the range at 8-bit weights; a 7-bit weight step is twice as coarse, so the bound scales with it.
      expect(worst, name).toBeLessThan(0.03 * (127 / qmax) * range);
      expect(worst, name).toBeGreaterThan(0); // it really ran in int8
    }
  });

  it('refuses a model with nothing to quantize, and one already quantized', () => {
    const g = new GraphBuilder();
    g.op('Relu', ['x'], 'y');
    const plain = encodeModel(
      modelMessage({
        graphName: 'relu',
        builder: g,
        inputs: [tensorValueInfo('x', [1])],
        outputs: [tensorValueInfo('y', [1])],
        opset: 17,
        producerVersion: 't',
        docString: '',
        metadata: {},
      }),
    );
    expect(() => quantizeModel(plain)).toThrow(QuantizeError);
    expect(() => quantizeModel(plain)).toThrow(/nothing to quantize/);
    const once = quantizeModel(smallModel()).bytes;
    expect(() => quantizeModel(once)).toThrow(/already quantized/);
    expect(() => quantizeModel(new Uint8Array([1, 2, 3]))).toThrow(QuantizeError);
  });
});

describe('ensureQuantizedModel', () => {
  it('caches the int8 copy beside the model and remakes it when the model changes', async () => {
    const dir = tmp();
    const src = path.join(dir, 'mine.onnx');
    writeFileSync(src, smallModel());
    const first = await ensureQuantizedModel(src, path.join(dir, 'fallback'));
    expect(path.dirname(first)).toBe(path.join(dir, '.cosmicai-int8'));
    expect(path.basename(first)).toMatch(/^mine\.int8-[0-9a-f]{12}\.onnx$/);
    const made = statSync(first).mtimeMs;
    expect(await ensureQuantizedModel(src, path.join(dir, 'fallback'))).toBe(first);
    expect(statSync(first).mtimeMs).toBe(made);
    utimesSync(src, new Date(), new Date(Date.now() + 5000));
    const second = await ensureQuantizedModel(src, path.join(dir, 'fallback'));
    expect(second).not.toBe(first);
    expect(readdirSync(path.dirname(second))).toEqual([path.basename(second)]); // stale copy removed
  });

  it("never uses or deletes the user's own <stem>.int8-*.onnx files beside the model", async () => {
    const dir = tmp();
    const src = path.join(dir, 'mine.onnx');
    writeFileSync(src, smallModel());
    // The user's files, including one named exactly like the cache's would be in the old layout.
    const first = await ensureQuantizedModel(src, path.join(dir, 'fallback'));
    const theirs = ['mine.int8-handmade.onnx', 'mine.int8-000000000000.onnx', path.basename(first)];
    for (const n of theirs) writeFileSync(path.join(dir, n), 'user data');
    utimesSync(src, new Date(), new Date(Date.now() + 5000));
    const second = await ensureQuantizedModel(src, path.join(dir, 'fallback'));
    expect(second).not.toBe(first);
    for (const n of theirs) expect(readFileSync(path.join(dir, n), 'utf8')).toBe('user data');
    expect(readdirSync(path.dirname(second))).toEqual([path.basename(second)]);
  });

  it('names the file when the model cannot be quantized', async () => {
    const dir = tmp();
    const src = path.join(dir, 'empty.onnx');
    const g = new GraphBuilder();
    g.op('Relu', ['x'], 'y');
    writeFileSync(
      src,
      encodeModel(
        modelMessage({
          graphName: 'r',
          builder: g,
          inputs: [tensorValueInfo('x', [1])],
          outputs: [tensorValueInfo('y', [1])],
          opset: 17,
          producerVersion: 't',
          docString: '',
          metadata: {},
        }),
      ),
    );
    await expect(ensureQuantizedModel(src, dir)).rejects.toThrow(
      /empty\.onnx: cannot make an int8 model: nothing to quantize/,
    );
  });
});

describe('cosmicai local --precision int8', () => {
  const CLI = fileURLToPath(new URL('../../bin/cosmicai.mjs', import.meta.url));
  it('runs the fixtures on the quantized reference model and records the precision', async () => {
    await referenceModel();
    const out = tmp();
    const run = (precision: string) => {
      const json = path.join(out, `${precision}.json`);
      const csv = path.join(out, `${precision}.csv`);
      const r = spawnSync(
        process.execPath,
        [
          CLI,
          'local',
          '--data',
          path.join(FIXTURES, 'small-64.pt'),
          '--batch-size',
          '32',
          '--threads',
          '1',
          '--precision',
          precision,
          '--json',
          json,
          '--predictions',
          csv,
        ],
        { encoding: 'utf8', env: { ...process.env, COSMICAI_DATA_DIR: SHARED_MODEL_DIR }, timeout: 240_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      const record = LocalRunRecordSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
      const z = readFileSync(csv, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => Number(l.split(',')[3]));
      return { stdout: r.stdout, record, z };
    };
    const int8 = run('int8');
    expect(int8.record.model.precision).toBe('int8');
    expect(int8.record.status).toBe('completed');
    expect(int8.record.samples).toBe(64);
    expect(int8.stdout).toMatch(/· int8/);
    expect(
      readdirSync(path.join(SHARED_MODEL_DIR, 'models', '.cosmicai-int8')).some((n) =>
        /^astromae-reference-v\d+\.int8-[0-9a-f]{12}\.onnx$/.test(n),
      ),
    ).toBe(true);
    const fp32 = run('fp32');
    expect(fp32.record.model.precision).toBe('fp32');
    expect(int8.z).toHaveLength(64);
    const dz = int8.z.map((v, i) => Math.abs(v - fp32.z[i]));
    const { bound, why } = int8DriftBound(); // from measured headroom on these 64 galaxies
    expect(Math.max(...dz), `max |dz| ${Math.max(...dz)} (${why})`).toBeLessThan(bound);
    expect(Math.max(...dz)).toBeGreaterThan(0);
  });

  it('rejects an unknown precision', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'local', '--data', path.join(FIXTURES, 'tiny-8.pt'), '--precision', 'fp16'],
      {
        encoding: 'utf8',
        env: { ...process.env, COSMICAI_DATA_DIR: SHARED_MODEL_DIR },
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--precision.*fp16.*(fp32|int8)/s);
  });
});
