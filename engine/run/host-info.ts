import os from 'node:os';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** The machine a local run ran on, recorded with every run so numbers can be compared fairly. */
export interface HostInfo {
  cpuModel: string;
  logicalCores: number;
  physicalCores: number;
  /** How physicalCores was found: 'cpuinfo' (Linux core ids), 'sysctl' (macOS) or 'estimate' (logical cores). */
  physicalCoresSource: 'cpuinfo' | 'sysctl' | 'estimate';
  ramBytes: number;
  os: string;
  arch: string;
  node: string;
  onnxruntime: string;
  /** CPU features that matter for inference speed, where the OS tells us (Linux /proc/cpuinfo). */
  cpuFlags: string[];
}

/** Flags that decide which onnxruntime kernels run (fp32 AVX-512, int8 VNNI, bf16, AMX). */
const FLAGS_OF_INTEREST = [
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx_vnni',
  'avx512_bf16',
  'amx_tile',
  'amx_bf16',
  'amx_int8',
  'asimd',
  'sve',
];

export interface CpuInfoSummary {
  model: string | null;
  /** Distinct (physical id, core id) pairs; null when the file lists no core ids (e.g. some ARM kernels, VMs). */
  physicalCores: number | null;
  flags: string[];
}

/** Reads what we need from the text of Linux /proc/cpuinfo. */
export function parseCpuInfo(text: string): CpuInfoSummary {
  const cores = new Set<string>();
  let model: string | null = null;
  let flags: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    if (!fields.has('processor')) continue;
    model ??= fields.get('model name') ?? fields.get('Model') ?? fields.get('cpu model') ?? null;
    const coreId = fields.get('core id');
    if (coreId !== undefined) cores.add(`${fields.get('physical id') ?? '0'}:${coreId}`);
    if (flags.length === 0) {
      const f = fields.get('flags') ?? fields.get('Features');
      if (f) flags = f.split(/\s+/);
    }
  }
  return {
    model,
    physicalCores: cores.size > 0 ? cores.size : null,
    flags: FLAGS_OF_INTEREST.filter((f) => flags.includes(f)),
  };
}

function readCpuInfo(): CpuInfoSummary | null {
  if (process.platform !== 'linux') return null;
  try {
    return parseCpuInfo(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return null;
  }
}

function macPhysicalCores(): number | null {
  if (process.platform !== 'darwin') return null;
  try {
    const n = Number(execFileSync('sysctl', ['-n', 'hw.physicalcpu'], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function onnxruntimeVersion(): string {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

let cached: HostInfo | undefined;

export function hostInfo(): HostInfo {
  if (cached) return cached;
  const logical = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const cpuinfo = readCpuInfo();
  const mac = macPhysicalCores();
  let physicalCores = logical;
  let physicalCoresSource: HostInfo['physicalCoresSource'] = 'estimate';
  if (cpuinfo?.physicalCores) {
    // A cpuset/affinity limit can leave fewer usable CPUs than the machine has cores.
    physicalCores = Math.min(cpuinfo.physicalCores, logical);
    physicalCoresSource = 'cpuinfo';
  } else if (mac) {
    physicalCores = Math.min(mac, logical);
    physicalCoresSource = 'sysctl';
  }
  cached = {
    cpuModel: cpuinfo?.model ?? os.cpus()[0]?.model ?? 'unknown',
    logicalCores: logical,
    physicalCores,
    physicalCoresSource,
    ramBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: process.versions.node,
    onnxruntime: onnxruntimeVersion(),
    cpuFlags: cpuinfo?.flags ?? [],
  };
  return cached;
}
