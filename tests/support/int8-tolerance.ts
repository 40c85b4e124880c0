import { readFileSync } from 'node:fs';

/**
 * How far int8 predictions of the reference model may drift from fp32 (max |z_int8 − z_fp32|), from measured
 * headroom rather than a loose guess. onnxruntime's int8 kernels (u8 activations × s8 weights) are exact on CPUs
 * with VNNI/AMX; on AVX2 without VNNI the u8s8 multiply-add saturates 16-bit sums, a known onnxruntime effect, and
 * the drift roughly doubles. Measured on small-64 (64 galaxies): 3.1e-3 with VNNI (#22); 6.4e-3 on an AVX2-only
 * AMD EPYC (2026-12-06). The bounds leave ~1.6× headroom; a broken quantization drifts by 1e-2 and more.
 */
export function int8DriftBound(): { bound: number; why: string } {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: assume the conservative case
  }
  const vnni = /\b(avx512_vnni|avx_vnni|amx_int8)\b/.test(flags);
  return vnni
    ? { bound: 5e-3, why: 'VNNI CPU, measured 3.1e-3' }
    : { bound: 1e-2, why: 'no VNNI (u8s8 saturation), measured 6.4e-3' };
}
