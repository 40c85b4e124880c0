import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batches, comparePartitionNames, datasetBatches, openDataset } from '../../engine/data/dataset.ts';
import {
  BYTES_PER_SAMPLE,
  partitionDataset,
  samplesPer100Mb,
  samplesPerPartition,
} from '../../engine/data/partitioner.ts';
import { readGalaxyPartition } from '../../engine/data/pt-reader.ts';
import { writeGalaxyPartition } from '../../engine/data/pt-writer.ts';
import { MB } from '../../engine/data/types.ts';
import { fixture, tmpDir } from '../support/engine-data-helpers.ts';

let dir: string;
let small: Awaited<ReturnType<typeof readGalaxyPartition>>;
beforeAll(async () => {
  dir = tmpDir();
  small = await readGalaxyPartition(fixture('small-64.pt'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Reads back every file and checks that together they are the original samples in order. */
async function expectSameSamples(files: string[], sizes: number[]): Promise<void> {
  const parts = await Promise.all(files.map((f) => readGalaxyPartition(f)));
  expect(parts.map((p) => p.samples)).toEqual(sizes);
  let at = 0;
  for (const p of parts) {
    expect(bytes(p.images).equals(bytes(small.images.subarray(at * 5120, (at + p.samples) * 5120)))).toBe(true);
    expect(bytes(p.magnitudes).equals(bytes(small.magnitudes.subarray(at * 5, (at + p.samples) * 5)))).toBe(true);
    expect(bytes(p.redshifts!).equals(bytes(small.redshifts!.subarray(at, at + p.samples)))).toBe(true);
    at += p.samples;
  }
}

/** The size in MB whose files hold k galaxies under the study's split (5113 galaxies per 100 MB). */
const mbFor = (k: number) => (k * 100) / 5113;

describe("samples per partition (the study's split_data.py: floor(5113 × MB / 100))", () => {
  it("holds 1278/2556/3834/5113 galaxies at 25/50/75/100 MB, as the study's files do", () => {
    expect(BYTES_PER_SAMPLE).toBe(20504);
    expect(samplesPer100Mb()).toBe(5113);
    expect([25, 50, 75, 100].map((mb) => samplesPerPartition(mb))).toEqual([1278, 2556, 3834, 5113]);
    expect(samplesPerPartition(10)).toBe(Math.floor(5113 / 10));
    expect(samplesPerPartition(0.1)).toBe(5);
    expect(samplesPerPartition(mbFor(1))).toBe(1);
    expect(samplesPerPartition(mbFor(16))).toBe(16);
  });

  it('refuses a size smaller than one sample, zero, negative or not a number', () => {
    expect(() => samplesPerPartition(20503 / MB, true, 'out')).toThrow(
      "out: a partition of 0.019553184509277344 MB (20503 bytes) is smaller than one sample (20504 bytes): at the study's 5113 galaxies per 100 MB, use at least 0.0196 MB",
    );
    expect(() => samplesPerPartition(0)).toThrow(/positive number of MB/);
    expect(() => samplesPerPartition(-5)).toThrow(/positive number of MB/);
    expect(() => samplesPerPartition(Number.NaN)).toThrow(/positive number of MB/);
  });
});

describe('partitionDataset', () => {
  it('exact multiple: 64 samples at 16 per file make four full files', async () => {
    const out = path.join(dir, 'exact');
    const progress: Array<[number, number]> = [];
    const res = await partitionDataset(await openDataset(fixture('small-64.pt')), mbFor(16), out, (w, t) =>
      progress.push([w, t]),
    );
    expect(res.samplesPerFile).toBe(16);
    expect(res.files.map((f) => path.basename(f))).toEqual(['1.pt', '2.pt', '3.pt', '4.pt']);
    expect(progress).toEqual([
      [16, 64],
      [32, 64],
      [48, 64],
      [64, 64],
    ]);
    await expectSameSamples(res.files, [16, 16, 16, 16]);
  });

  it('remainder: the last file holds what is left', async () => {
    const res = await partitionDataset(await openDataset(fixture('small-64.pt')), mbFor(10), path.join(dir, 'rem'));
    await expectSameSamples(res.files, [10, 10, 10, 10, 10, 10, 4]);
  });

  it('fractional MB, and a size larger than the dataset gives one file', async () => {
    const res = await partitionDataset(await openDataset(fixture('small-64.pt')), 0.25, path.join(dir, 'frac'));
    expect(res.samplesPerFile).toBe(12);
    await expectSameSamples(res.files, [12, 12, 12, 12, 12, 4]);
    const one = await partitionDataset(await openDataset(fixture('small-64.pt')), 100, path.join(dir, 'one'));
    expect(one.samplesPerFile).toBe(5113);
    await expectSameSamples(one.files, [64]);
    expect(fs.readFileSync(one.files[0]).equals(fs.readFileSync(fixture('small-64.pt')))).toBe(false); // different archive name
  });

  it('re-partitions across input files whose boundaries do not line up', async () => {
    const first = await partitionDataset(await openDataset(fixture('small-64.pt')), mbFor(7), path.join(dir, 'in7'));
    expect(first.files.length).toBe(10);
    const res = await partitionDataset(await openDataset(path.join(dir, 'in7')), mbFor(9), path.join(dir, 'out9'));
    await expectSameSamples(res.files, [9, 9, 9, 9, 9, 9, 9, 1]);
  });

  it('size smaller than one sample: clear error, nothing written', async () => {
    const out = path.join(dir, 'tiny-size');
    await expect(partitionDataset(await openDataset(fixture('small-64.pt')), 0.01, out)).rejects.toThrow(
      `${out}: a partition of 0.01 MB (10485 bytes) is smaller than one sample (20504 bytes)`,
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses an output folder that already holds .pt files', async () => {
    const out = path.join(dir, 'busy');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, '7.pt'), 'stale');
    await expect(partitionDataset(await openDataset(fixture('tiny-8.pt')), 1, out)).rejects.toMatchObject({
      code: 'invalid-argument',
      file: out,
    });
  });
});

describe('dataset', () => {
  it('orders a folder numerically (1, 2, 10, 11) and knows samples, bytes and shapes from headers', async () => {
    const d = path.join(dir, 'order');
    fs.mkdirSync(d);
    for (const [name, n] of [
      ['10.pt', 3],
      ['2.pt', 2],
      ['1.pt', 1],
      ['11.pt', 4],
    ] as const) {
      await writeGalaxyPartition(path.join(d, name), {
        samples: n,
        images: new Float32Array(n * 5120).fill(n),
        magnitudes: new Float32Array(n * 5),
        redshifts: new Float32Array(n).fill(n),
      });
    }
    fs.writeFileSync(path.join(d, 'README.txt'), 'ignored');
    const ds = await openDataset(d);
    expect(ds.partitions.map((p) => [p.index, path.basename(p.path), p.samples])).toEqual([
      [1, '1.pt', 1],
      [2, '2.pt', 2],
      [3, '10.pt', 3],
      [4, '11.pt', 4],
    ]);
    expect(ds.samples).toBe(10);
    expect(ds.bytes).toBe(ds.partitions.reduce((n, p) => n + fs.statSync(p.path).size, 0));
    expect(ds.shapes).toEqual({ images: [10, 5, 32, 32], magnitudes: [10, 5], redshifts: [10] });
    const seen: number[] = [];
    for await (const b of datasetBatches(ds, 3)) seen.push(...b.redshifts!);
    expect(seen).toEqual([1, 2, 2, 3, 3, 3, 4, 4, 4, 4]);
    expect(['b.pt', '10.pt', 'a.pt', '9.pt'].sort(comparePartitionNames)).toEqual(['9.pt', '10.pt', 'a.pt', 'b.pt']);
  });

  it('opens a list of files in the given order, and refuses mixing labelled and unlabelled files', async () => {
    const ds = await openDataset([fixture('small-64.pt'), fixture('tiny-8.legacy.pt')]);
    expect(ds.samples).toBe(72);
    expect(ds.partitions.map((p) => p.samples)).toEqual([64, 8]);
    await expect(openDataset([fixture('tiny-8.pt'), fixture('variants/unlabelled.pt')])).rejects.toMatchObject({
      code: 'bad-structure',
      file: fixture('variants/unlabelled.pt'),
    });
    const unl = await openDataset(fixture('variants/unlabelled.pt'));
    expect(unl.shapes.redshifts).toBeNull();
  });

  it('batches are subarray views of the partition, the last one shorter', () => {
    const out = [...batches(small, 30)];
    expect(out.map((b) => [b.start, b.count])).toEqual([
      [0, 30],
      [30, 30],
      [60, 4],
    ]);
    for (const b of out) {
      expect(b.images.buffer).toBe(small.images.buffer);
      expect(b.images.length).toBe(b.count * 5120);
      expect(b.magnitudes.length).toBe(b.count * 5);
      expect(b.redshifts!.length).toBe(b.count);
    }
    expect(out[2].magnitudes[0]).toBe(small.magnitudes[60 * 5]);
    expect(() => [...batches(small, 0)]).toThrow(/positive integer/);
  });

  it('load() notices a file that changed since the dataset was opened', async () => {
    const f = path.join(dir, 'changing.pt');
    fs.copyFileSync(fixture('tiny-8.pt'), f);
    const ds = await openDataset(f);
    fs.copyFileSync(fixture('small-64.pt'), f);
    await expect(ds.load(ds.partitions[0])).rejects.toMatchObject({ code: 'changed', file: f });
  });
});
