import { readFileSync } from 'node:fs';

/**
 * What the CPU offers onnxruntime's matrix kernels (MLAS), read from Linux /proc/cpuinfo, and what a kernel probe
 * shows actually runs. The flags say what the CPU *can* do; only a measurement says which int8 path onnxruntime
 * *takes*: the bench's kernel probe (bench/kernel-probe.ts) times u8×s8 integer products against fp32 MatMul on the
 * same large shapes and `int8PathVerdict` reads the ratio.
 */

/** The flags that select MLAS kernels on x86 (fp32 FMA/AVX-512, int8 VNNI/AMX, bf16) and on Arm. */
export const CPU_FEATURE_FLAGS = [
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512_vnni',
  'avx_vnni',
  'avx512_bf16',
  'amx_tile',
  'amx_int8',
  'amx_bf16',
  'asimd',
  'asimddp',
  'i8mm',
  'bf16',
  'sve',
] as const;
export type CpuFeatureFlag = (typeof CPU_FEATURE_FLAGS)[number];

export interface CpuFeatures {
  vendor: string | null;
  modelName: string | null;
  /** x86 `cpu family` / `model` numbers (e.g. 25 / 1 is AMD Zen 3), null where the file has none. */
  family: number | null;
  model: number | null;
  /** Every flag of CPU_FEATURE_FLAGS, present or not (first processor's flags / Features line). */
  flags: Record<CpuFeatureFlag, boolean>;
}

/** The int8 GEMM instruction path MLAS can use on a CPU, from the best the flags allow. */
export type Int8Path = 'amx' | 'vnni' | 'avx2-pmaddubsw' | 'arm-dot' | 'other';

/** Parses the text of /proc/cpuinfo (x86 `flags`, Arm `Features`); unknown or empty text gives all flags false. */
export function parseCpuFeatures(text: string): CpuFeatures {
  let fields: Map<string, string> | null = null;
  for (const block of text.split(/\n\s*\n/)) {
    const f = new Map<string, string>();
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) f.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    if (f.has('processor')) {
      fields = f;
      break;
    }
  }
  const present = new Set((fields?.get('flags') ?? fields?.get('Features') ?? '').split(/\s+/).filter(Boolean));
  const num = (key: string) => {
    const raw = fields?.get(key);
    if (raw === undefined || !/^\d+$/.test(raw)) return null;
    return Number(raw);
  };
  return {
    vendor: fields?.get('vendor_id') ?? fields?.get('CPU implementer') ?? null,
    modelName: fields?.get('model name') ?? fields?.get('Model') ?? null,
    family: num('cpu family'),
    model: num('model'),
    flags: Object.fromEntries(CPU_FEATURE_FLAGS.map((f) => [f, present.has(f)])) as Record<CpuFeatureFlag, boolean>,
  };
}

/** The flags that are set, in CPU_FEATURE_FLAGS order. */
export function flagsPresent(f: CpuFeatures): CpuFeatureFlag[] {
  return CPU_FEATURE_FLAGS.filter((k) => f.flags[k]);
}

/** The best int8 path the flags allow (what MLAS would pick if its build has the kernel). */
export function expectedInt8Path(f: CpuFeatures, arch: string = process.arch): Int8Path {
  if (arch === 'arm64') return f.flags.asimddp || f.flags.i8mm ? 'arm-dot' : 'other';
  if (arch !== 'x64' && arch !== 'ia32') return 'other';
  if (f.flags.amx_int8 && f.flags.amx_tile) return 'amx';
  if (f.flags.avx512_vnni || f.flags.avx_vnni) return 'vnni';
  if (f.flags.avx2) return 'avx2-pmaddubsw';
  return 'other';
}

/**
 * int8 GOP/s ÷ fp32 GFLOP/s on the same large shapes from which a measured ratio means a faster path than AVX2's:
 * vpmaddubsw + vpmaddwd + vpaddd do 32 multiply-adds in 3 instructions at the fp32 FMA's vector width, so about 2×
 * (up to ~3× where fp32 is held back by memory); one vpdpbusd does them in 1, about 4×; an AMX tile multiply far
 * more (8× and up).
 */
export const INT8_RATIO_THRESHOLDS = { vnni: 3.2, amx: 6 } as const;

const PATH_RANK: Record<Int8Path, number> = { other: 0, 'arm-dot': 1, 'avx2-pmaddubsw': 1, vnni: 2, amx: 3 };

export interface Int8Verdict {
  /** The path the measurement shows: the best path the flags allow whose ratio threshold the measurement reaches. */
  measured: Int8Path;
  /** The best path the CPU flags allow. */
  expected: Int8Path;
  ratio: number;
  /** True when the measurement shows a slower path than the flags allow (the faster kernel does not run). */
  fasterPathUnused: boolean;
  /** One sentence: the ratio, what it means, and whether it is the path the flags allow. */
  evidence: string;
}

const MEANING: Record<Int8Path, string> = {
  amx: 'AMX-INT8 tile multiplies',
  vnni: 'VNNI vpdpbusd (u8×s8 multiply-add in one instruction)',
  'avx2-pmaddubsw': 'the AVX2 vpmaddubsw/vpmaddwd path',
  'arm-dot': 'Arm dot-product instructions',
  other: 'no recognised int8 path',
};

/**
 * Reads the kernel probe's int8 ÷ fp32 ratio against what the flags allow. A path the flags do not allow cannot be
 * what ran, so the measured path is capped at the expected one; a ratio below a path's threshold means that path's
 * kernel is not what ran (e.g. VNNI flags but ~2×: onnxruntime is on its AVX2 kernel).
 */
export function int8PathVerdict(ratio: number, features: CpuFeatures, arch: string = process.arch): Int8Verdict {
  const expected = expectedInt8Path(features, arch);
  let measured: Int8Path = expected;
  if (arch === 'x64' || arch === 'ia32') {
    if (!Number.isFinite(ratio) || ratio <= 0) measured = 'other';
    else if (expected === 'amx' && ratio >= INT8_RATIO_THRESHOLDS.amx) measured = 'amx';
    else if (PATH_RANK[expected] >= PATH_RANK.vnni && ratio >= INT8_RATIO_THRESHOLDS.vnni) measured = 'vnni';
    else if (expected !== 'other') measured = 'avx2-pmaddubsw';
  }
  const fasterPathUnused = PATH_RANK[measured] < PATH_RANK[expected];
  const flags = flagsPresent(features).join(' ') || 'none of interest';
  const agree = fasterPathUnused
    ? `slower than the ${MEANING[expected]} the flags allow: onnxruntime does not use it here`
    : `the best path these flags allow`;
  return {
    measured,
    expected,
    ratio,
    fasterPathUnused,
    evidence:
      `u8×s8 int8 ran at ${ratio.toFixed(2)}× the fp32 MatMul rate on the same shapes: ${MEANING[measured]}, ` +
      `${agree} (flags: ${flags}).`,
  };
}

let cached: CpuFeatures | undefined;

/** This host's features (all false off Linux or when /proc/cpuinfo cannot be read). */
export function hostCpuFeatures(): CpuFeatures {
  if (cached) return cached;
  let text = '';
  try {
    if (process.platform === 'linux') text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    text = '';
  }
  cached = parseCpuFeatures(text);
  return cached;
}
