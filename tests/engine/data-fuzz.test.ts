import fs from 'node:fs';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PtFormatError } from '../../engine/data/pt-errors.ts';
import { parseGalaxyPartition, parsePartitionHeader } from '../../engine/data/pt-reader.ts';
import { fixture } from '../support/engine-data-helpers.ts';
import { prng, type Rng } from '../support/fuzz-prng.ts';

/** Byte ranges where structure lives: the pickle(s), the zip tail; mutations favour them over raw float data. */
function hotRegions(b: Buffer): Array<[number, number]> {
  const regions: Array<[number, number]> = [[0, Math.min(b.length, 512)]];
  const cd = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  if (cd > 0) regions.push([cd, b.length]);
  return regions;
}

function position(r: Rng, b: Buffer): number {
  if (r.next() < 0.2) return r.int(b.length);
  const [lo, hi] = r.pick(hotRegions(b));
  return lo + r.int(Math.max(1, hi - lo));
}

/** Recomputes the CRC of data.pkl so pickle mutations reach the unpickler instead of the CRC check. */
function fixPickleCrc(b: Buffer): void {
  const cd = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  if (cd < 0 || cd + 46 > b.length) return;
  const size = b.readUInt32LE(cd + 24);
  const nameLen = b.readUInt16LE(26);
  const extraLen = b.readUInt16LE(28);
  const start = 30 + nameLen + extraLen;
  if (start + size > b.length) return;
  const crc = zlib.crc32(b.subarray(start, start + size));
  b.writeUInt32LE(crc, cd + 16);
}

const SIZE_VALUES = [0, 1, 2, 3, 4, 0x7f, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

function mutate(r: Rng, original: Buffer, zip: boolean): { bytes: Buffer; how: string } {
  const b = Buffer.from(original);
  const kind = r.int(5);
  if (kind === 0) {
    const cut = r.next() < 0.5 ? position(r, b) : r.int(b.length);
    return { bytes: b.subarray(0, cut), how: `truncate at ${cut}` };
  }
  if (kind === 1) {
    const flips: number[] = [];
    for (let i = 1 + r.int(8); i > 0; i--) {
      const at = position(r, b);
      b[at] ^= 1 << r.int(8);
      flips.push(at);
    }
    return { bytes: b, how: `flip bits at ${flips.join(',')}` };
  }
  if (kind === 2) {
    // Edited sizes: overwrite a 16- or 32-bit field with a boundary value or a small change.
    const at = Math.min(position(r, b), b.length - 4);
    const wide = r.next() < 0.5;
    const old = wide ? b.readUInt32LE(at) : b.readUInt16LE(at);
    const v = r.next() < 0.5 ? r.pick(SIZE_VALUES) : old + r.int(9) - 4;
    if (wide) b.writeUInt32LE(v >>> 0, at);
    else b.writeUInt16LE(v & 0xffff, at);
    return { bytes: b, how: `size field at ${at}: ${old} -> ${v}` };
  }
  if (kind === 3) {
    // Pickle-level edits with a valid CRC: flip bytes inside the first pickle only.
    const end = zip ? 64 + 337 : 420;
    const flips: number[] = [];
    for (let i = 1 + r.int(4); i > 0; i--) {
      const at = (zip ? 64 : 0) + r.int(end - (zip ? 64 : 0));
      b[at] = r.next() < 0.5 ? r.int(256) : b[at] ^ (1 << r.int(8));
      flips.push(at);
    }
    if (zip) fixPickleCrc(b);
    return { bytes: b, how: `pickle bytes at ${flips.join(',')}` };
  }
  // Insert or delete a few bytes inside the structure.
  const at = position(r, b);
  const n = 1 + r.int(16);
  const out =
    r.next() < 0.5
      ? Buffer.concat([b.subarray(0, at), Buffer.alloc(n, r.int(256)), b.subarray(at)])
      : Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
  return { bytes: out, how: `${out.length > b.length ? 'insert' : 'delete'} ${n} bytes at ${at}` };
}

const BOUND_MS = 2000; // a hang detector, not a speed target

describe('fuzz: mutated fixtures end in a valid dataset or a PtFormatError', () => {
  for (const [name, cases, zip] of [
    ['tiny-8.pt', 2500, true],
    ['tiny-8.legacy.pt', 2000, false],
    ['small-64.pt', 500, true],
  ] as const) {
    it(`${name}: ${cases} mutations`, () => {
      const original = fs.readFileSync(fixture(name));
      const r = prng(0xc0ffee ^ cases);
      const outcomes = { valid: 0, refused: 0 };
      const codes = new Map<string, number>();
      let slowest = 0;
      for (let i = 0; i < cases; i++) {
        const { bytes, how } = mutate(r, original, zip);
        const label = `${name} case ${i} (${how})`;
        for (const parse of [parsePartitionHeader, parseGalaxyPartition]) {
          const t0 = performance.now();
          try {
            const res = parse(bytes, label);
            if ('images' in res) {
              expect(res.samples, label).toBeGreaterThan(0);
              expect(res.images.length, label).toBe(res.samples * 5120);
              expect(res.magnitudes.length, label).toBe(res.samples * 5);
              if (res.redshifts) expect(res.redshifts.length, label).toBe(res.samples);
              outcomes.valid++;
            }
          } catch (err) {
            if (!(err instanceof PtFormatError))
              throw new Error(`${label}: ${parse.name} threw ${(err as Error)?.stack ?? String(err)}`, { cause: err });
            expect(err.message.startsWith(`${label}: `), label).toBe(true);
            if (parse === parseGalaxyPartition) {
              outcomes.refused++;
              codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
            }
          }
          slowest = Math.max(slowest, performance.now() - t0);
        }
      }
      expect(outcomes.valid + outcomes.refused).toBe(cases);
      expect(outcomes.refused).toBeGreaterThan(cases / 4);
      expect(slowest).toBeLessThan(BOUND_MS);
      console.log(
        `${name}: ${outcomes.valid} valid, ${outcomes.refused} refused, slowest case ${slowest.toFixed(1)} ms;`,
        Object.fromEntries(codes),
      );
    });
  }
});
