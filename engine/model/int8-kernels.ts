import { readFileSync } from 'node:fs';

/**
 * Whether this CPU needs 7-bit weights for onnxruntime's int8 MatMul. On x86 without VNNI, onnxruntime multiplies
 * u8 activations by s8 weights with vpmaddubsw, whose pairwise 16-bit sums saturate (255 × 127 × 2 > 32767): a
 * layer with large weights then drifts far from fp32. Weights in [-63, 63] keep those sums in range (onnxruntime's
 * own quantizer calls this reduce_range). With VNNI or AMX (vpdpbusd sums in 32 bits), and on Arm, 8 bits are exact.
 */
export function int8NeedsReducedRange(cpuinfo: string | null = readCpuinfo(), arch: string = process.arch): boolean {
  if (arch !== 'x64' && arch !== 'ia32') return false;
  // Off Linux the flags are unknown: 7-bit weights are the safe choice (one bit of weight precision for no saturation).
  if (cpuinfo === null) return true;
  return !/\b(avx512_vnni|avx_vnni|amx_int8)\b/.test(cpuinfo);
}

function readCpuinfo(): string | null {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
}
