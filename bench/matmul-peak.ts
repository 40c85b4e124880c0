// What the CPU's matrix kernels can do on N threads, measured the way the engine computes (activations × a constant
// weight through onnxruntime, with the engine's session options), best of repeated runs:
//  - the fp32 matmul peak: the best GFLOP/s over several large shapes and the model's own (one shape alone
//    under-reads: 2048³ streams a 16 MB weight and reads ~10% below 1024³ here);
//  - the AstroMAE token linears (QKV, projection, MLP fc1 and fc2 on 65 tokens × the engine's slice of galaxies),
//    each in fp32 (MatMul + bias) and int8 (the quantizer's DynamicQuantizeMatMul, u8×s8 with VNNI where present).
// From the token linears it derives the bound the bench reports: the galaxies/s the engine could reach if every
// other op (attention products, softmax, GELU, norms, convs, heads) took no time at all.
//   node bin/run-ts.mjs bench/matmul-peak.ts --threads 2 [--slice 8] [--seconds 1]
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, modelMessage, tensorValueInfo } from '../engine/model/onnx-builder.ts';
import { encodeModel } from '../engine/model/onnx-proto.ts';
import { quantizeModel } from '../engine/model/quantize.ts';
import { int8NeedsReducedRange } from '../engine/model/int8-kernels.ts';
import { Prng } from '../engine/prng.ts';
import { GALAXIES_PER_SESSION_RUN, engineSessionOptions } from '../engine/run/engine-session.ts';

const { values } = parseArgs({
  options: { threads: { type: 'string' }, slice: { type: 'string' }, seconds: { type: 'string' } },
});
const threads = Number(values.threads ?? 1);
const slice = Number(values.slice ?? GALAXIES_PER_SESSION_RUN);
const seconds = Number(values.seconds ?? 1);
const rng = new Prng(1);

/** Best wall seconds of one [m,k]×[k,n] (+ bias) product, timed for about `seconds` after a warm-up run. */
async function bestSeconds(m: number, k: number, n: number, precision: 'fp32' | 'int8'): Promise<number> {
  const g = new GraphBuilder();
  const product = g.op(
    'MatMul',
    ['a', g.weight('w', [k, n], rng.uniform(new Float32Array(k * n), 1 / Math.sqrt(k)))],
    'mm',
  );
  g.op('Add', [product, g.weight('b', [n], rng.uniform(new Float32Array(n), 0.05))], 'y');
  let bytes = encodeModel(
    modelMessage({
      graphName: 'kernel_probe',
      builder: g,
      inputs: [tensorValueInfo('a', ['m', k])],
      outputs: [tensorValueInfo('y', ['m', n])],
      opset: 17,
      producerVersion: 'bench',
      docString: 'matrix kernel probe',
      metadata: {},
    }),
  );
  if (precision === 'int8') bytes = quantizeModel(bytes, { reduceRange: int8NeedsReducedRange() }).bytes;
  const session = await ort.InferenceSession.create(bytes, engineSessionOptions({ threads }));
  try {
    const a = new ort.Tensor('float32', rng.uniform(new Float32Array(m * k), 1), [m, k]);
    await session.run({ a }); // warm-up: weight pre-packing, arena
    let best = Infinity;
    const start = performance.now();
    for (let i = 0; i < 3 || performance.now() - start < seconds * 1000; i++) {
      const t = performance.now();
      await session.run({ a });
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    return best;
  } finally {
    await session.release();
  }
}

const gflops = (m: number, k: number, n: number, s: number) => (2 * m * k * n) / s / 1e9;

const peakShapes: Array<[number, number, number]> = [
  [1024, 1024, 1024],
  [2048, 2048, 2048],
  [4096, 1024, 1024],
  [4096, 512, 512],
];
const peakRuns = [];
for (const [m, k, n] of peakShapes)
  peakRuns.push({ shape: `${m}x${k}x${n}`, gflops: gflops(m, k, n, await bestSeconds(m, k, n, 'fp32')) });

const TOKENS = 65;
const rows = TOKENS * slice;
const linears: Array<{ name: string; k: number; n: number }> = [
  { name: 'qkv', k: 192, n: 576 },
  { name: 'proj', k: 192, n: 192 },
  { name: 'fc1', k: 192, n: 768 },
  { name: 'fc2', k: 768, n: 192 },
];
const BLOCKS = 12;
const tokenLinears = [];
let fp32PerGalaxy = 0;
let int8PerGalaxy = 0;
for (const l of linears) {
  const fp32 = await bestSeconds(rows, l.k, l.n, 'fp32');
  const int8 = await bestSeconds(rows, l.k, l.n, 'int8');
  fp32PerGalaxy += (BLOCKS * fp32) / slice;
  int8PerGalaxy += (BLOCKS * int8) / slice;
  tokenLinears.push({
    ...l,
    m: rows,
    fp32Gflops: gflops(rows, l.k, l.n, fp32),
    int8Gops: gflops(rows, l.k, l.n, int8),
  });
}
// The peak is the best fp32 rate any of these products reached, the model's own shapes included.
for (const l of tokenLinears) peakRuns.push({ shape: `${l.m}x${l.k}x${l.n}`, gflops: l.fp32Gflops });
const peak = peakRuns.reduce((a, b) => (b.gflops > a.gflops ? b : a));
const tokenLinearFlops = BLOCKS * linears.reduce((s, l) => s + 2 * TOKENS * l.k * l.n, 0);

process.stdout.write(
  JSON.stringify({
    threads,
    slice,
    /** Kept for older readers of the bench JSON: the best fp32 GFLOP/s and the shape that gave it. */
    gflops: peak.gflops,
    size: peak.shape,
    peakRuns,
    tokenLinears,
    tokenLinearFlopsPerGalaxy: tokenLinearFlops,
    /** Galaxies/s if only the 48 token linears took time, at their measured fp32 / int8 speed. */
    fp32TokenLinearsOnlySamplesPerSec: 1 / fp32PerGalaxy,
    int8TokenLinearsOnlySamplesPerSec: 1 / int8PerGalaxy,
  }) + '\n',
);
