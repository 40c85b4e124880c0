// Which int8 path onnxruntime actually executes on this CPU (issue 21, "know the hardware"): the same large
// products timed as fp32 MatMul, as u8×s8 MatMulInteger (MLAS QGEMM on integers the probe supplies) and as the
// quantizer's DynamicQuantizeMatMul (activations quantized per call, what the int8 engine runs), each with the
// engine's session options, best of repeated runs. int8 GOP/s ÷ fp32 GFLOP/s reads the path: ~2× the AVX2
// vpmaddubsw path, ≥ 3–4× VNNI, far more AMX (engine/run/cpu-features.ts). Beside it, the CPU flags and which
// int8/bf16 instruction families the onnxruntime library contains at all (objdump, when installed).
//   node bin/run-ts.mjs bench/kernel-probe.ts --threads 2 [--seconds 0.7]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, modelMessage, tensorValueInfo } from '../engine/model/onnx-builder.ts';
import { DataType, encodeModel } from '../engine/model/onnx-proto.ts';
import { MS_DOMAIN } from '../engine/model/quantize.ts';
import { Prng } from '../engine/prng.ts';
import { engineSessionOptions } from '../engine/run/engine-session.ts';
import { onnxruntimeVersion } from '../engine/run/host-info.ts';
import { flagsPresent, hostCpuFeatures, int8PathVerdict } from '../engine/run/cpu-features.ts';

const { values } = parseArgs({ options: { threads: { type: 'string' }, seconds: { type: 'string' } } });
const threads = Number(values.threads ?? 1);
const seconds = Number(values.seconds ?? 0.7);
const rng = new Prng(21);

type Kind = 'fp32' | 'u8s8' | 'dqmm';

function probeModel(kind: Kind, m: number, k: number, n: number): Uint8Array {
  const g = new GraphBuilder();
  const w = rng.uniform(new Float32Array(k * n), 1 / Math.sqrt(k));
  let inputType: number = DataType.FLOAT;
  let outputType: number = DataType.FLOAT;
  if (kind === 'fp32') g.op('MatMul', ['a', g.weight('w', [k, n], w)], 'y');
  else if (kind === 'u8s8') {
    const q = Int8Array.from(w, (x) => Math.max(-63, Math.min(63, Math.round(x * 63 * Math.sqrt(k)))));
    g.initializers.push(
      { name: 'wq', dims: [k, n], dataType: DataType.INT8, rawData: new Uint8Array(q.buffer) },
      { name: 'za', dims: [], dataType: DataType.UINT8, rawData: new Uint8Array([128]) },
    );
    g.op('MatMulInteger', ['a', 'wq', 'za'], 'y');
    inputType = DataType.UINT8;
    outputType = DataType.INT32;
  } else {
    const q = Int8Array.from(w, (x) => Math.max(-63, Math.min(63, Math.round(x * 63 * Math.sqrt(k)))));
    g.initializers.push(
      { name: 'wq', dims: [k, n], dataType: DataType.INT8, rawData: new Uint8Array(q.buffer) },
      {
        name: 'ws',
        dims: [n],
        dataType: DataType.FLOAT,
        rawData: new Uint8Array(new Float32Array(n).fill(0.01).buffer),
      },
    );
    g.node('DynamicQuantizeMatMul', ['a', 'wq', 'ws'], 'y', [], 1, MS_DOMAIN);
  }
  return encodeModel(
    modelMessage({
      graphName: `kernel_probe_${kind}`,
      builder: g,
      inputs: [tensorValueInfo('a', ['m', k], inputType)],
      outputs: [tensorValueInfo('y', ['m', n], outputType)],
      opset: 17,
      extraOpsets: kind === 'dqmm' ? [{ domain: MS_DOMAIN, version: 1 }] : [],
      producerVersion: 'bench',
      docString: `int8 path probe (${kind})`,
      metadata: {},
    }),
  );
}

/**
 * Best wall seconds and best CPU seconds (process user + system, spinning off) of one product, after a warm-up run
 * (weight pre-packing, arena), timed for about `seconds`. On a host shared with other jobs the wall time measures
 * how much CPU the probe got; the CPU time measures the work, so the int8 ÷ fp32 verdict reads CPU time.
 */
async function bestSeconds(kind: Kind, m: number, k: number, n: number): Promise<{ wall: number; cpu: number }> {
  const session = await ort.InferenceSession.create(probeModel(kind, m, k, n), engineSessionOptions({ threads }));
  try {
    const a =
      kind === 'u8s8'
        ? new ort.Tensor(
            'uint8',
            Uint8Array.from({ length: m * k }, () => Math.floor(rng.next() * 256)),
            [m, k],
          )
        : new ort.Tensor('float32', rng.uniform(new Float32Array(m * k), 1), [m, k]);
    await session.run({ a });
    let wall = Infinity;
    let cpu = Infinity;
    const start = performance.now();
    for (let i = 0; i < 3 || performance.now() - start < seconds * 1000; i++) {
      const t = performance.now();
      const c = process.cpuUsage();
      await session.run({ a });
      const used = process.cpuUsage(c);
      wall = Math.min(wall, (performance.now() - t) / 1000);
      cpu = Math.min(cpu, (used.user + used.system) / 1e6);
    }
    return { wall, cpu };
  } finally {
    await session.release();
  }
}

/** Large shapes (the kernels' own speed, not call overhead): a cube and the model's fc2 shape at 64 galaxies. */
const SHAPES: Array<[number, number, number]> = [
  [1024, 1024, 1024],
  [4160, 768, 192],
];
const ops = (m: number, k: number, n: number, s: number) => (2 * m * k * n) / s / 1e9;
interface ShapeResult {
  shape: string;
  fp32Gflops: number;
  u8s8Gops: number;
  dynamicQuantizeMatMulGops: number;
  fp32GflopsPerCpuSecond: number;
  u8s8GopsPerCpuSecond: number;
  dynamicQuantizeMatMulGopsPerCpuSecond: number;
}
const shapes: ShapeResult[] = [];
for (const [m, k, n] of SHAPES) {
  const fp32 = await bestSeconds('fp32', m, k, n);
  const u8s8 = await bestSeconds('u8s8', m, k, n);
  const dqmm = await bestSeconds('dqmm', m, k, n);
  shapes.push({
    shape: `${m}x${k}x${n}`,
    /** Best wall-clock rates, G(FL)OP/s. */
    fp32Gflops: ops(m, k, n, fp32.wall),
    u8s8Gops: ops(m, k, n, u8s8.wall),
    dynamicQuantizeMatMulGops: ops(m, k, n, dqmm.wall),
    /** The same per CPU-second of the process (all threads): robust to other load on the host. */
    fp32GflopsPerCpuSecond: ops(m, k, n, fp32.cpu),
    u8s8GopsPerCpuSecond: ops(m, k, n, u8s8.cpu),
    dynamicQuantizeMatMulGopsPerCpuSecond: ops(m, k, n, dqmm.cpu),
  });
}
// The verdict reads the integer kernel itself (MatMulInteger), best shape; DynamicQuantizeMatMul adds the per-call
// activation quantization on top, which is what the engine pays.
const ratioOf = (s: ShapeResult) => s.u8s8GopsPerCpuSecond / s.fp32GflopsPerCpuSecond;
const best = shapes.reduce((a, b) => (ratioOf(b) > ratioOf(a) ? b : a));
const features = hostCpuFeatures();
const verdict = { ...int8PathVerdict(ratioOf(best), features), shape: best.shape, basis: 'per CPU-second' };

/** Which instruction families the onnxruntime library holds (counts of sites in its disassembly), or why not. */
function libraryInstructions(): Promise<Record<string, number> | { skipped: string }> {
  const INSNS = ['vpmaddubsw', 'vpdpbusd', 'vpdpbusds', 'tdpbusd', 'tdpbssd', 'tdpbf16ps', 'vdpbf16ps'];
  let lib: string;
  try {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const dir = path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    const name = readdirSync(dir).find((f) => /^libonnxruntime\.so/.test(f) && statSync(path.join(dir, f)).size > 1e6);
    if (!name) return Promise.resolve({ skipped: `no libonnxruntime.so in ${dir}` });
    lib = path.join(dir, name);
  } catch (err) {
    return Promise.resolve({ skipped: `onnxruntime library not found: ${(err as Error).message}` });
  }
  return new Promise((resolve) => {
    const counts: Record<string, number> = Object.fromEntries(INSNS.map((i) => [i, 0]));
    const re = new RegExp(`\\s(${INSNS.join('|')})\\s`, 'g');
    const child = spawn('objdump', ['-d', '--no-show-raw-insn', lib], { stdio: ['ignore', 'pipe', 'ignore'] });
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const text = rest + chunk;
      const cut = text.lastIndexOf('\n') + 1;
      for (const m of text.slice(0, cut).matchAll(re)) counts[m[1]]++;
      rest = text.slice(cut);
    });
    child.on('error', (err) => resolve({ skipped: `objdump not available: ${err.message}` }));
    child.on('close', (code) => resolve(code === 0 ? counts : { skipped: `objdump exited with ${code}` }));
  });
}

process.stdout.write(
  JSON.stringify({
    threads,
    onnxruntime: onnxruntimeVersion(),
    cpu: { vendor: features.vendor, family: features.family, model: features.model, name: features.modelName },
    flags: flagsPresent(features),
    shapes,
    verdict,
    /** Instruction sites in libonnxruntime: which kernels exist in this build at all (not which run). */
    libraryInstructions: await libraryInstructions(),
  }) + '\n',
);
