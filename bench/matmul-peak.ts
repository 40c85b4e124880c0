// The CPU's practical fp32 matmul peak on N threads, measured the way the engine computes: one large MatMul
// ([M,K] activations × a constant [K,N] weight, as in the model's linears) through onnxruntime with the engine's
// session options. Best of several runs, in GFLOP/s.
//   node bin/run-ts.mjs bench/matmul-peak.ts --threads 2 [--size 2048] [--repeats 8]
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, modelMessage, tensorValueInfo } from '../engine/model/onnx-builder.ts';
import { encodeModel } from '../engine/model/onnx-proto.ts';
import { Prng } from '../engine/prng.ts';

const { values } = parseArgs({ options: { threads: { type: 'string' }, size: { type: 'string' }, repeats: { type: 'string' } } });
const threads = Number(values.threads ?? 1);
const size = Number(values.size ?? 2048);
const repeats = Number(values.repeats ?? 8);
const rng = new Prng(1);
const g = new GraphBuilder();
g.op('MatMul', ['a', g.weight('w', [size, size], rng.uniform(new Float32Array(size * size), 0.05))], 'y');
const bytes = encodeModel(
  modelMessage({
    graphName: 'matmul_peak', builder: g, inputs: [tensorValueInfo('a', ['m', size])], outputs: [tensorValueInfo('y', ['m', size])],
    opset: 17, producerVersion: 'bench', docString: 'fp32 matmul peak', metadata: {},
  }),
);
const session = await ort.InferenceSession.create(bytes, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const a = new ort.Tensor('float32', rng.uniform(new Float32Array(size * size), 1), [size, size]);
await session.run({ a }); // warm-up: weight pre-packing, arena
let best = Infinity;
for (let i = 0; i < repeats; i++) {
  const t = performance.now();
  await session.run({ a });
  best = Math.min(best, (performance.now() - t) / 1000);
}
const flops = 2 * size ** 3;
process.stdout.write(JSON.stringify({ threads, size, repeats, bestSeconds: best, gflops: flops / best / 1e9 }) + '\n');
