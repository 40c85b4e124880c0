/**
 * Hostile ONNX files: thousands of seeded mutations of two small models (byte-level: truncation, bit flips, huge
 * declared lengths, wrong wire types, inserted/deleted bytes; message-level: huge/negative dims, wrong element
 * types, missing fields, random operators wired to random values). Every case must end in a ModelInfo or a
 * ModelError naming the file, within a hang bound and without large allocations.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError, inspectModelBytes } from '../../engine/model/model-info.ts';
import { decodeModel } from '../../engine/model/onnx-proto.ts';
import { buildTinyModel } from '../support/cloud-tiny-model.ts';
import { FIXTURES } from '../support/engine-data-helpers.ts';
import { prng } from '../support/fuzz-prng.ts';
import { buildChainModel, mutateBytes, mutateMessage } from '../support/onnx-mutations.ts';

const BOUND_MS = 2000; // a hang detector, not a speed target
const MEMORY_BOUND = 512 * 2 ** 20; // external + heap growth any one case may leave live (the seeds are < 25 KB)

function check(
  bytes: Uint8Array,
  label: string,
  stats: { valid: number; refused: number; slowest: number; peak: number },
  base: number,
): void {
  const t0 = performance.now();
  try {
    const info = inspectModelBytes(bytes, label);
    expect(info.binding.image, label).toBeTypeOf('string');
    expect(info.flopsPerSample === null || Number.isFinite(info.flopsPerSample), label).toBe(true);
    stats.valid++;
  } catch (err) {
    if (!(err instanceof ModelError))
      throw new Error(`${label}: threw ${(err as Error)?.stack ?? String(err)}`, { cause: err });
    expect(err.message.startsWith(`${label}: `), label).toBe(true);
    stats.refused++;
  }
  stats.slowest = Math.max(stats.slowest, performance.now() - t0);
  const mem = process.memoryUsage();
  stats.peak = Math.max(stats.peak, mem.heapUsed + mem.arrayBuffers - base);
}

const ONNX_SEEDS: Array<[string, () => Uint8Array, number]> = [
  ['tiny.onnx', buildTinyModel, 2500],
  ['chain.onnx', buildChainModel, 3000],
];

describe('fuzz: mutated ONNX models end in a ModelInfo or a ModelError', () => {
  for (const [name, build, cases] of ONNX_SEEDS) {
    it(`${name}: ${cases} mutations`, () => {
      const original = build();
      expect(inspectModelBytes(original, name).binding).toMatchObject({
        image: 'image',
        magnitude: 'magnitude',
        output: 'redshift',
      });
      const base = decodeModel(original);
      const r = prng(0x0dd ^ cases);
      const mem = process.memoryUsage();
      const stats = { valid: 0, refused: 0, slowest: 0, peak: 0 };
      for (let i = 0; i < cases; i++) {
        const { bytes, how } = r.next() < 0.6 ? mutateBytes(r, original) : mutateMessage(r, base);
        check(bytes, `${name} case ${i} (${how})`, stats, mem.heapUsed + mem.arrayBuffers);
      }
      expect(stats.valid + stats.refused).toBe(cases);
      expect(stats.refused).toBeGreaterThan(cases / 4);
      expect(stats.slowest).toBeLessThan(BOUND_MS);
      expect(stats.peak).toBeLessThan(MEMORY_BOUND);
      console.log(
        `${name}: ${stats.valid} valid, ${stats.refused} refused, slowest ${stats.slowest.toFixed(1)} ms, peak growth ${(stats.peak / 2 ** 20).toFixed(0)} MB`,
      );
    });
  }
});

describe('ONNX regression fixtures (cases the fuzzer once crashed on)', () => {
  const dir = path.join(FIXTURES, 'regressions');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx'));
  it('the listing finds the known cases (an empty or moved folder must not become zero tests)', () => {
    const known = [
      'onnx-chain-case249.onnx',
      'onnx-chain-case90.onnx',
      'onnx-tiny-case575.onnx',
      'onnx-tiny-case79.onnx',
    ];
    expect(files).toEqual(expect.arrayContaining(known));
  });
  it.each(files)('%s ends in a ModelInfo or a ModelError', (file) => {
    const stats = { valid: 0, refused: 0, slowest: 0, peak: 0 };
    check(fs.readFileSync(path.join(dir, file)), file, stats, 0);
    expect(stats.valid + stats.refused).toBe(1);
  });
});
