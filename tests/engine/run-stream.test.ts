import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeGalaxyPartition } from '../../engine/data/pt-writer.ts';
import { runLocal, type LocalRunProgress } from '../../engine/run/local-run.ts';
import { LocalRunRecordSchema } from '../../base/local-run-record.ts';
import { randomArray } from '../support/engine-data-helpers.ts';
import { FIXTURES, referenceModel } from '../support/engine-run-helpers.ts';

// The worker streams zip/float32/stored partitions batch by batch; these runs use a 203-galaxy partition, so
// batches of 64 leave a ragged last batch of 11.
const N = 203;
const redshifts = randomArray(N, 3);
let model: string;
let dir: string;
let multi: string;
beforeAll(async () => {
  model = await referenceModel();
  dir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-run-stream-'));
  multi = path.join(dir, 'multi.pt');
  await writeGalaxyPartition(multi, {
    images: randomArray(N * 5120, 1, 0.01, 0.5),
    magnitudes: randomArray(N * 5, 2, 14, 24),
    redshifts,
    samples: N,
  });
});

describe('runLocal over streamed partitions', () => {
  it('predicts every galaxy of a multi-batch partition, labels in order, the same as one whole batch', async () => {
    const { record, table } = await runLocal({ data: multi, model, batchSize: 64, threads: 1 });
    expect(record.status).toBe('completed');
    expect(record.partitions[0]).toMatchObject({ status: 'completed', samples: N, num_batches: 4 });
    expect(record.load_seconds).toBeGreaterThan(0);
    expect(Array.from(table.zTrue)).toEqual(Array.from(redshifts));
    // Batch 256 is one batch over the whole partition: predictions do not depend on how it is cut.
    const one = await runLocal({ data: multi, model, batchSize: 256, threads: 1 });
    expect(one.record.partitions[0].num_batches).toBe(1);
    const a = table.zPred;
    const b = one.table.zPred;
    for (let i = 0; i < N; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    expect(LocalRunRecordSchema.safeParse(record).success).toBe(true);
  });

  it('a corrupt record fails its partition before any of its batches runs', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-run-stream-'));
    copyFileSync(path.join(FIXTURES, 'tiny-8.pt'), path.join(folder, '1.pt'));
    // The last byte of the last record: a reader that checked the CRC as it went would find it after 3 batches.
    const bytes = readFileSync(multi);
    const at = bytes.lastIndexOf(Buffer.from(Float32Array.of(redshifts[N - 1]).buffer));
    expect(at).toBeGreaterThan(0);
    bytes[at + 3] ^= 0x01;
    writeFileSync(path.join(folder, '2.pt'), bytes);
    copyFileSync(path.join(FIXTURES, 'tiny-8.pt'), path.join(folder, '3.pt'));

    const progress: LocalRunProgress[] = [];
    const { record, predictions } = await runLocal(
      { data: folder, model, batchSize: 64, threads: 1 },
      { onProgress: (p) => progress.push(p) },
    );
    expect(record.partitions.map((p) => p.status)).toEqual(['completed', 'failed', 'completed']);
    expect(record.partitions[1]).toMatchObject({ samples: 0, num_batches: 0 });
    expect(record.partitions[1].error).toMatch(
      /2\.pt: zip record 'multi\/data\/2' fails its CRC-32 check; the file is corrupt/,
    );
    expect(progress.some((p) => p.phase === 'inferring' && p.partition === 2)).toBe(false);
    expect(new Set(predictions.map((r) => r.partition))).toEqual(new Set([1, 3]));
    expect(record.samples).toBe(16);
  });

  it('cancels mid-partition: finished batches are kept, with their labels', async () => {
    const controller = new AbortController();
    const { record, table } = await runLocal(
      { data: multi, model, batchSize: 16, threads: 1 },
      {
        signal: controller.signal,
        onProgress: (p) => p.phase === 'inferring' && p.batchesDone === 2 && controller.abort(),
      },
    );
    expect(record.status).toBe('cancelled');
    const [p] = record.partitions;
    expect(p.status).toBe('cancelled');
    expect(p.num_batches).toBeGreaterThanOrEqual(2);
    expect(p.num_batches).toBeLessThanOrEqual(3);
    expect(p.samples).toBe(p.num_batches * 16);
    expect(table.zPred.length).toBe(p.samples);
    expect(Array.from(table.zTrue)).toEqual(Array.from(redshifts.subarray(0, p.samples)));
  });
});
