import { describe, expect, it } from 'vitest';
import { expectedInt8Path, flagsPresent, int8PathVerdict, parseCpuFeatures } from '../../engine/run/cpu-features.ts';

// Abridged /proc/cpuinfo texts (two processors each, as the kernel prints them) from the hosts the bench has met.
const ZEN3 = `processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC
flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 sha_ni vaes vpclmulqdq

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC
flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 sha_ni vaes vpclmulqdq
`;
const ZEN4 = `processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC 9R14
flags\t\t: fma avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16 avx512vbmi avx512_vnni
`;
const SAPPHIRE_RAPIDS = `processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 143
model name\t: Intel(R) Xeon(R) Platinum 8488C
flags\t\t: fma avx2 avx512f avx512bw avx512_vnni avx_vnni avx512_bf16 amx_bf16 amx_tile amx_int8
`;
const GRAVITON3 = `processor\t: 0
BogoMIPS\t: 2100.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics asimddp sve i8mm bf16
CPU implementer\t: 0x41
CPU part\t: 0xd40
`;

describe('cpu features: /proc/cpuinfo parsing', () => {
  it('reads vendor, family, model and the flags that select MLAS kernels (Zen 3: AVX2 + FMA only)', () => {
    const f = parseCpuFeatures(ZEN3);
    expect(f).toMatchObject({ vendor: 'AuthenticAMD', family: 25, model: 1, modelName: 'AMD EPYC' });
    expect(flagsPresent(f)).toEqual(['avx2', 'fma']);
    expect(f.flags.avx512f).toBe(false);
    expect(f.flags.amx_int8).toBe(false);
  });

  it('finds VNNI and bf16 on Zen 4 and AMX on Sapphire Rapids, Arm features on Graviton', () => {
    expect(flagsPresent(parseCpuFeatures(ZEN4))).toEqual([
      'avx2',
      'fma',
      'avx512f',
      'avx512bw',
      'avx512_vnni',
      'avx512_bf16',
    ]);
    const spr = parseCpuFeatures(SAPPHIRE_RAPIDS);
    expect(spr.flags.amx_int8 && spr.flags.amx_tile && spr.flags.amx_bf16 && spr.flags.avx_vnni).toBe(true);
    const g = parseCpuFeatures(GRAVITON3);
    expect(g).toMatchObject({ vendor: '0x41', family: null, model: null });
    expect(flagsPresent(g)).toEqual(['asimd', 'asimddp', 'i8mm', 'bf16', 'sve']);
  });

  it('gives no flags and null numbers for empty or foreign text', () => {
    const f = parseCpuFeatures('');
    expect(flagsPresent(f)).toEqual([]);
    expect(f).toMatchObject({ vendor: null, family: null, model: null, modelName: null });
    expect(flagsPresent(parseCpuFeatures('hello: world\nflags: avx2'))).toEqual([]); // no processor block
  });
});

describe('cpu features: which int8 path', () => {
  it('expects the best path the flags allow', () => {
    expect(expectedInt8Path(parseCpuFeatures(ZEN3), 'x64')).toBe('avx2-pmaddubsw');
    expect(expectedInt8Path(parseCpuFeatures(ZEN4), 'x64')).toBe('vnni');
    expect(expectedInt8Path(parseCpuFeatures(SAPPHIRE_RAPIDS), 'x64')).toBe('amx');
    expect(expectedInt8Path(parseCpuFeatures(GRAVITON3), 'arm64')).toBe('arm-dot');
    expect(expectedInt8Path(parseCpuFeatures(''), 'x64')).toBe('other');
  });

  it('reads the measured int8 ÷ fp32 ratio, capped at what the flags allow', () => {
    const zen3 = int8PathVerdict(2.2, parseCpuFeatures(ZEN3), 'x64');
    expect(zen3).toMatchObject({ measured: 'avx2-pmaddubsw', expected: 'avx2-pmaddubsw', fasterPathUnused: false });
    expect(zen3.evidence).toContain('2.20×');
    expect(zen3.evidence).toContain('flags: avx2 fma');
    // A noisy fp32 reading cannot turn an AVX2-only CPU into a VNNI one.
    expect(int8PathVerdict(3.6, parseCpuFeatures(ZEN3), 'x64').measured).toBe('avx2-pmaddubsw');

    expect(int8PathVerdict(3.8, parseCpuFeatures(ZEN4), 'x64')).toMatchObject({
      measured: 'vnni',
      fasterPathUnused: false,
    });
    const spr = parseCpuFeatures(SAPPHIRE_RAPIDS);
    expect(int8PathVerdict(11, spr, 'x64')).toMatchObject({ measured: 'amx', fasterPathUnused: false });
    // The Intel host: AMX flags, but int8 only ~2–4× fp32: the AMX kernel is not what runs.
    const notAmx = int8PathVerdict(3.4, spr, 'x64');
    expect(notAmx).toMatchObject({ measured: 'vnni', expected: 'amx', fasterPathUnused: true });
    expect(notAmx.evidence).toContain('does not use it here');
    expect(int8PathVerdict(2.0, parseCpuFeatures(ZEN4), 'x64')).toMatchObject({
      measured: 'avx2-pmaddubsw',
      fasterPathUnused: true,
    });
    expect(int8PathVerdict(Number.NaN, parseCpuFeatures(ZEN3), 'x64').measured).toBe('other');
  });
});
