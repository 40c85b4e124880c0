import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batches } from '../../engine/data/dataset.ts';
import { PtFormatError } from '../../engine/data/pt-errors.ts';
import { readGalaxyPartition } from '../../engine/data/pt-reader.ts';
import { allocateBatchBuffers, openPartitionStream, type PartitionStream } from '../../engine/data/pt-stream.ts';
import { writeGalaxyPartition } from '../../engine/data/pt-writer.ts';
import { fixture, randomArray, tmpDir } from '../support/engine-data-helpers.ts';

let dir: string;
/** 203 samples: batches of 64 leave a ragged last batch of 11. */
let multi: string;
beforeAll(async () => {
  dir = tmpDir('cosmicai-stream-');
  multi = path.join(dir, 'multi.pt');
  const n = 203;
  await writeGalaxyPartition(multi, {
    images: randomArray(n * 5120, 1),
    magnitudes: randomArray(n * 5, 2, 14, 24),
    redshifts: randomArray(n, 3),
    samples: n,
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const copyTo = (name: string, bytes: Uint8Array) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
};

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Every batch of the stream, copied out (streamed batches are only valid until the next read). */
function streamBatches(s: PartitionStream, batchSize: number) {
  const buffers = allocateBatchBuffers(batchSize);
  const out = [];
  for (let start = 0; start < s.samples; start += batchSize) {
    const b = s.read(start, Math.min(batchSize, s.samples - start), buffers);
    out.push({
      start: b.start,
      count: b.count,
      images: b.images.slice(),
      magnitudes: b.magnitudes.slice(),
      redshifts: b.redshifts?.slice() ?? null,
    });
  }
  return out;
}

async function expectSameBatches(file: string, batchSize: number, mode: 'streamed' | 'in-memory'): Promise<void> {
  const whole = await readGalaxyPartition(file);
  const s = await openPartitionStream(file);
  try {
    expect(s.mode).toBe(mode);
    expect(s.samples).toBe(whole.samples);
    expect(s.labelled).toBe(whole.redshifts !== null);
    const got = streamBatches(s, batchSize);
    const want = [...batches(whole, batchSize)];
    expect(got.map((b) => [b.start, b.count])).toEqual(want.map((b) => [b.start, b.count]));
    got.forEach((b, i) => {
      expect(bytesOf(b.images).equals(bytesOf(want[i].images)), `images of batch ${i}`).toBe(true);
      expect(bytesOf(b.magnitudes).equals(bytesOf(want[i].magnitudes)), `magnitudes of batch ${i}`).toBe(true);
      expect(b.redshifts === null ? null : bytesOf(b.redshifts).equals(bytesOf(want[i].redshifts!))).toBe(
        want[i].redshifts === null ? null : true,
      );
    });
  } finally {
    s.close();
  }
}

describe('streamed partitions give the same batches as the whole-file reader', () => {
  const cases: Array<[string, 'streamed' | 'in-memory']> = [
    ['tiny-8.pt', 'streamed'],
    ['small-64.pt', 'streamed'],
    ['variants/unlabelled.pt', 'streamed'],
    ['variants/offset.pt', 'streamed'], // contiguous redshifts at storage offset 3
    ['tiny-8.legacy.pt', 'in-memory'],
    ['variants/float64.pt', 'in-memory'],
    ['variants/float64.legacy.pt', 'in-memory'],
    ['variants/float16.pt', 'in-memory'],
    ['variants/strided.pt', 'in-memory'],
  ];
  for (const [name, mode] of cases) {
    it(`${name} (${mode})`, async () => {
      for (const batchSize of [1, 3, 64]) await expectSameBatches(fixture(name), batchSize, mode);
    });
  }

  it('a multi-batch partition with a ragged last batch, into reused buffers', async () => {
    await expectSameBatches(multi, 64, 'streamed');
    await expectSameBatches(multi, 7, 'streamed');
    const s = await openPartitionStream(multi);
    const buffers = allocateBatchBuffers(64);
    const a = s.read(0, 64, buffers);
    const last = s.read(192, 11, buffers);
    expect(last.images.buffer).toBe(a.images.buffer);
    expect(last.images.length).toBe(11 * 5120);
    expect(last.redshifts!.length).toBe(11);
    expect(() => s.read(200, 11, buffers)).toThrow(RangeError);
    expect(() => s.read(0, 65, buffers)).toThrow(RangeError);
    s.close();
    expect(() => s.read(0, 1, buffers)).toThrow(/closed/);
  });
});

describe('streamed partitions fail like the whole-file reader', () => {
  async function refusal(open: () => Promise<unknown>): Promise<PtFormatError> {
    const err = await open().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PtFormatError);
    return err as PtFormatError;
  }

  it('a corrupt tensor record fails with crc-mismatch when opened, before any batch is read', async () => {
    // The very last byte of the file's last tensor record (redshifts): a single-pass reader would only see it at the end.
    const bytes = fs.readFileSync(multi);
    const lastZ = Buffer.from(Float32Array.of(randomArray(203, 3)[202]).buffer);
    const at = bytes.lastIndexOf(lastZ);
    expect(at).toBeGreaterThan(0);
    bytes[at + 3] ^= 0x01;
    const file = copyTo('corrupt.pt', bytes);
    const err = await refusal(() => openPartitionStream(file));
    expect(err.code).toBe('crc-mismatch');
    expect(err.message).toBe(`${file}: zip record 'multi/data/2' fails its CRC-32 check; the file is corrupt`);
    const whole = await refusal(() => readGalaxyPartition(file));
    expect(whole.message).toBe(err.message);
  });

  it('a truncated file fails with the same code and message as readGalaxyPartition', async () => {
    const bytes = fs.readFileSync(multi);
    for (const keep of [bytes.length - 10, Math.floor(bytes.length / 2), 100]) {
      const file = copyTo(`truncated-${keep}.pt`, bytes.subarray(0, keep));
      const a = await refusal(() => openPartitionStream(file));
      const b = await refusal(() => readGalaxyPartition(file));
      expect([a.code, a.message]).toEqual([b.code, b.message]);
    }
  });

  it('a file truncated after it was opened fails the next read with a clear error', async () => {
    const file = copyTo('shrinks.pt', fs.readFileSync(multi));
    const s = await openPartitionStream(file);
    const buffers = allocateBatchBuffers(64);
    s.read(0, 64, buffers);
    fs.truncateSync(file, 200_000);
    let err: unknown;
    try {
      s.read(64, 64, buffers);
    } catch (e) {
      err = e;
    }
    s.close();
    expect(err).toBeInstanceOf(PtFormatError);
    expect((err as PtFormatError).code).toBe('changed');
    expect((err as PtFormatError).message).toMatch(
      /shrinks\.pt: the file ends at byte \d+, before the \d+ bytes at \d+ it held when opened; it was truncated or replaced/,
    );
  });

  it('a missing file and a folder fail with io', async () => {
    expect((await refusal(() => openPartitionStream(path.join(dir, 'nope.pt')))).code).toBe('io');
    expect((await refusal(() => openPartitionStream(dir))).code).toBe('io');
  });
});
