// Where the engine's time goes, by operator: onnxruntime's own profiler (kernel time of every node), summed by op
// type over a few batches, with the share of the total. Used to bound "% of the matmul peak": ops that do no matmul
// FLOPs (GELU, residual Add, LayerNormalization, pools, Concat) take time no faster GEMM can give back.
//   node bin/run-ts.mjs bench/op-profile.ts --model FILE.onnx --data FILE.pt [--precision fp32|int8] [--threads 2]
//     [--batch 64] [--runs 6]
// Kernel time is profiler time (per node, summed over the threads' wall within that node), not CPU time; the first
// run (pre-packing, arena growth) is left out. Shares within one profile compare; totals move with the host's load.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { readGalaxyPartition } from '../engine/data/pt-reader.ts';
import { int8NeedsReducedRange } from '../engine/model/int8-kernels.ts';
import { inspectModel } from '../engine/model/model-info.ts';
import { quantizeModel } from '../engine/model/quantize.ts';
import { GALAXIES_PER_SESSION_RUN, engineSessionOptions, predictBatch } from '../engine/run/engine-session.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    precision: { type: 'string', default: 'fp32' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    runs: { type: 'string', default: '6' },
  },
});
if (!values.model || !values.data) throw new Error('--model FILE.onnx and --data FILE.pt are required');
const precision = values.precision;
if (precision !== 'fp32' && precision !== 'int8') throw new Error('--precision must be fp32 or int8');
const threads = Number(values.threads);
const runs = Number(values.runs);

const { binding } = await inspectModel(values.model);
const part = await readGalaxyPartition(values.data);
const n = Math.min(Number(values.batch), part.samples);
const fp32 = new Uint8Array(await readFile(values.model));
const bytes = precision === 'int8' ? quantizeModel(fp32, { reduceRange: int8NeedsReducedRange() }).bytes : fp32;
const dir = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-op-profile-'));
try {
  const session = await ort.InferenceSession.create(bytes, {
    ...engineSessionOptions({ threads, geluApproximation: precision === 'int8' }),
    enableProfiling: true,
    profileFilePrefix: path.join(dir, 'profile'),
  });
  const images = part.images.subarray(0, n * 5 * 32 * 32);
  const magnitudes = part.magnitudes.subarray(0, n * 5);
  const out = new Float32Array(n);
  for (let i = 0; i <= runs; i++)
    await predictBatch(session, binding, images, magnitudes, n, out, 0, GALAXIES_PER_SESSION_RUN);
  session.endProfiling();
  await session.release();
  const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
  if (!file) throw new Error('onnxruntime wrote no profile');
  const events = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Array<{
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }>;
  // Node events in order; the first predictBatch's (warm-up) are the first 1/(runs + 1) of each node's events.
  const nodeEvents = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const perRun = nodeEvents.length / (runs + 1);
  const measured = nodeEvents.slice(Math.round(perRun));
  const byOp = new Map<string, number>();
  for (const e of measured) byOp.set(e.args?.op_name ?? '?', (byOp.get(e.args?.op_name ?? '?') ?? 0) + e.dur);
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  const rows = [...byOp].sort((a, b) => b[1] - a[1]);
  process.stdout.write(
    `${precision}, ${threads} thread(s), ${runs} batches of ${n} in runs of ${GALAXIES_PER_SESSION_RUN}: ` +
      `kernel time ${(total / 1000).toFixed(0)} ms\n` +
      rows.map(([op, us]) => `  ${op.padEnd(28)} ${((100 * us) / total).toFixed(1).padStart(5)}%`).join('\n') +
      '\n',
  );
  process.stdout.write(
    JSON.stringify({ precision, threads, batch: n, runs, totalUs: total, byOp: Object.fromEntries(rows) }) + '\n',
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
