// int8 end to end (issue 21 item 3): candidate changes to what still runs in fp32 in the int8 path, each A/B against
// today's int8 by CPU time per batch (process user + system, spinning off, interleaved in one process, best of N:
// robust to other load on the host), with its accuracy against fp32 on the whole dataset: max and mean |Δz| and the
// study's metrics (MAE, σ_NMAD, outlier fraction) and their relative change from fp32.
//   node bin/run-ts.mjs bench/int8-variants.ts --model FILE.onnx --data FILE.pt [--threads 2] [--rounds 5]
//     [--batch 64] [--timing-only] [--only 'int8 + tanh GELU,int8 core']
// Variants: fp32; int8 (erf GELU); today's int8 default (tanh GELU, fused QAttention); the unfused attention core
// (quantize option attentionCore, issue 21 part 3) in fp32, int8 and int8-shared; the convs as ConvInteger
// (option convs); both; all with tanh GELU.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { readGalaxyPartition } from '../engine/data/pt-reader.ts';
import { inspectModel } from '../engine/model/model-info.ts';
import { quantizeModel, type QuantizeOptions } from '../engine/model/quantize.ts';
import { int8NeedsReducedRange } from '../engine/model/int8-kernels.ts';
import { computeAccuracy, type AccuracyMetrics } from '../engine/run/accuracy.ts';
import { engineSessionOptions, predictBatch } from '../engine/run/engine-session.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    threads: { type: 'string' },
    rounds: { type: 'string' },
    batch: { type: 'string' },
    /** Skip fp32 in the timing and the whole-dataset accuracy pass (a quicker A/B of the int8 variants). */
    'timing-only': { type: 'boolean', default: false },
    /** Comma-separated variant names to run (fp32 is added for the accuracy pass unless --timing-only). */
    only: { type: 'string' },
  },
});
const timingOnly = values['timing-only'];
if (!values.model || !values.data) throw new Error('--model FILE.onnx and --data FILE.pt are required');
const threads = Number(values.threads ?? 2);
const rounds = Number(values.rounds ?? 5);
const batch = Number(values.batch ?? 64);

const fp32Bytes = new Uint8Array(await readFile(values.model));
const reduceRange = int8NeedsReducedRange();
/** Quantized on first use only, so `--only` does not pay for (or hold) the variants it skips. */
const variantBytes = (o: Omit<QuantizeOptions, 'reduceRange'>) => {
  let made: Uint8Array | null = null;
  return () => (made ??= quantizeModel(fp32Bytes, { reduceRange, ...o }).bytes);
};
const int8Bytes = variantBytes({});
const { binding } = await inspectModel(values.model);
const part = await readGalaxyPartition(values.data);
const n = part.samples;

// onnxruntime's own rewrite of Gelu (erf) into FastGelu (tanh approximation): today's int8 default.
const TANH = { 'optimization.enable_gelu_approximation': '1' };
interface Variant {
  name: string;
  bytes: () => Uint8Array;
  /** Extra session config entries (session options `extra`). */
  config?: Record<string, string>;
}
const allVariants: Variant[] = [
  { name: 'fp32', bytes: () => fp32Bytes },
  { name: 'int8', bytes: int8Bytes },
  { name: 'int8 + tanh GELU', bytes: int8Bytes, config: TANH },
  { name: 'fp32 core', bytes: variantBytes({ attentionCore: 'fp32' }), config: TANH },
  { name: 'int8 core', bytes: variantBytes({ attentionCore: 'int8' }), config: TANH },
  { name: 'int8 core shared', bytes: variantBytes({ attentionCore: 'int8-shared' }), config: TANH },
  { name: 'int8 convs', bytes: variantBytes({ convs: 'int8' }), config: TANH },
  { name: 'int8 core + convs', bytes: variantBytes({ attentionCore: 'int8', convs: 'int8' }), config: TANH },
];
const only = values.only?.split(',').map((s) => s.trim());
for (const o of only ?? [])
  if (!allVariants.some((v) => v.name === o))
    throw new Error(`--only: no variant '${o}' (${allVariants.map((v) => v.name).join(', ')})`);
const variants = allVariants.filter(
  (v) =>
    (v.name === 'fp32' ? !timingOnly : true) && (!only || only.includes(v.name) || (v.name === 'fp32' && !timingOnly)),
);
/** today's int8 default (tanh GELU, fused QAttention): what the new variants are compared with. */
const erfInt8 = variants.findIndex((v) => v.name === 'int8');
const today = variants.findIndex((v) => v.name === 'int8 + tanh GELU');

async function open(v: Variant): Promise<ort.InferenceSession> {
  const base = engineSessionOptions({ threads });
  const extra = (base.extra ?? {}) as Record<string, unknown>;
  return ort.InferenceSession.create(v.bytes(), {
    ...base,
    extra: { ...extra, ...(v.config ? nest(v.config) : {}) },
  });
}

/** 'a.b.c': 'v' → {a: {b: {c: 'v'}}} (onnxruntime-node flattens `extra` back into dotted config keys). */
function nest(flat: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) {
    const parts = k.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    o[parts.at(-1)!] = v;
  }
  return out;
}

const sessions = await Promise.all(variants.map(open));
const images = part.images.subarray(0, batch * 5120);
const mags = part.magnitudes.subarray(0, batch * 5);
const out = new Float32Array(batch);
for (const s of sessions) await predictBatch(s, binding, images, mags, batch, out, 0); // warm-up

const cpuMs = variants.map(() => Infinity);
const wallMs = variants.map(() => Infinity);
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < variants.length; j++) {
    const i = (j + r) % variants.length;
    const t = performance.now();
    const c = process.cpuUsage();
    await predictBatch(sessions[i], binding, images, mags, batch, out, 0);
    const u = process.cpuUsage(c);
    cpuMs[i] = Math.min(cpuMs[i], (u.user + u.system) / 1000);
    wallMs[i] = Math.min(wallMs[i], performance.now() - t);
  }
}

if (timingOnly) {
  for (const s of sessions) await s.release();
  const rows = variants.map((v, i) => ({
    variant: v.name,
    cpuMsPerGalaxy: cpuMs[i] / batch,
    wallMsPerGalaxy: wallMs[i] / batch,
    cpuVsFirst: cpuMs[i] / cpuMs[0],
    cpuVsToday: today >= 0 ? cpuMs[i] / cpuMs[today] : null,
  }));
  process.stdout.write(JSON.stringify({ threads, batch, rounds, rows }, null, 1) + '\n');
  process.exit(0);
}
const z: Float32Array[] = [];
for (const s of sessions) {
  const all = new Float32Array(n);
  for (let start = 0; start < n; start += 256) {
    const c = Math.min(256, n - start);
    await predictBatch(
      s,
      binding,
      part.images.subarray(start * 5120, (start + c) * 5120),
      part.magnitudes.subarray(start * 5, (start + c) * 5),
      c,
      all,
      start,
    );
  }
  z.push(all);
}
const acc: Array<AccuracyMetrics | null> = z.map((p) => (part.redshifts ? computeAccuracy(part.redshifts, p) : null));
const rel = (a: number, b: number) => (b === 0 ? 0 : (a - b) / b);
const rows = variants.map((v, i) => {
  let maxAbs = 0;
  let sumAbs = 0;
  for (let k = 0; k < n; k++) {
    const d = Math.abs(z[i][k] - z[0][k]);
    maxAbs = Math.max(maxAbs, d);
    sumAbs += d;
  }
  const a = acc[i];
  const a0 = acc[0];
  return {
    variant: v.name,
    cpuMsPerGalaxy: cpuMs[i] / batch,
    wallMsPerGalaxy: wallMs[i] / batch,
    cpuVsInt8: erfInt8 >= 0 ? cpuMs[i] / cpuMs[erfInt8] : null,
    cpuVsToday: today >= 0 ? cpuMs[i] / cpuMs[today] : null,
    maxAbsDzVsFp32: maxAbs,
    meanAbsDzVsFp32: sumAbs / n,
    accuracy: a,
    relativeChangeVsFp32:
      a && a0
        ? {
            mae: rel(a.mae, a0.mae),
            sigma_nmad: rel(a.sigma_nmad, a0.sigma_nmad),
            outlier_fraction: rel(a.outlier_fraction, a0.outlier_fraction),
          }
        : null,
  };
});
for (const s of sessions) await s.release();
process.stdout.write(JSON.stringify({ threads, batch, rounds, galaxies: n, rows }, null, 1) + '\n');
