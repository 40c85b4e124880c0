import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { openDataset, listPartitionFiles } from '../engine/data/dataset.ts';
import { partitionDataset, samplesPerPartition } from '../engine/data/partitioner.ts';
import { writeFileAtomic } from '../engine/atomic-file.ts';

/**
 * Partitions a dataset for upload into `<dataDir>/staging/<N>MB/`, re-using the folder when it was made from the
 * same input files (same paths, sizes and modification times): partitioning is deterministic, so the files (and
 * their sha256) are the same and S3 staging skips them.
 */

const MANIFEST = 'staging.json';

export interface StagedPartitions {
  dir: string;
  files: string[];
  samples: number;
  bytes: number;
  reused: boolean;
}

async function sourceFingerprint(files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    const s = await stat(f);
    h.update(`${path.resolve(f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

export async function preparePartitions(
  datasetSpec: string | string[],
  sizeMb: number,
  dataDir: string,
  onProgress?: (written: number, total: number) => void,
): Promise<StagedPartitions> {
  if (!(sizeMb > 0)) throw new Error(`Partition size must be a positive number of MB, got ${sizeMb}.`);
  const ds = await openDataset(datasetSpec);
  const fingerprint = await sourceFingerprint(ds.partitions.map((p) => p.path));
  const root = path.join(dataDir, 'staging');
  const dir = path.join(root, `${sizeMb}MB`);
  try {
    const m = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as {
      fingerprint?: string;
      sizeMb?: number;
      files?: string[];
      samples?: number;
      bytes?: number;
    };
    if (m.fingerprint === fingerprint && m.sizeMb === sizeMb && Array.isArray(m.files)) {
      const files = await listPartitionFiles(dir);
      if (files.length === m.files.length) {
        onProgress?.(ds.samples, ds.samples);
        return { dir, files, samples: m.samples ?? ds.samples, bytes: m.bytes ?? 0, reused: true };
      }
    }
  } catch {
    // No (or another) manifest: partition afresh.
  }
  const tmp = path.join(root, `.${sizeMb}MB-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const out = await partitionDataset(ds, sizeMb, tmp, onProgress);
    let bytes = 0;
    for (const f of out.files) bytes += (await stat(f)).size;
    await writeFileAtomic(
      path.join(tmp, MANIFEST),
      JSON.stringify(
        {
          fingerprint,
          sizeMb,
          source: ds.partitions.map((p) => p.path),
          files: out.files.map((f) => path.basename(f)),
          samples: ds.samples,
          bytes,
        },
        null,
        2,
      ),
      { mode: 0o644, mkdir: true },
    );
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return {
      dir,
      files: out.files.map((f) => path.join(dir, path.basename(f))),
      samples: ds.samples,
      bytes,
      reused: false,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** How many partitions of `sizeMb` the dataset makes (headers only; nothing is written). */
export async function countPartitions(datasetSpec: string | string[], sizeMb: number): Promise<number> {
  const ds = await openDataset(datasetSpec);
  return Math.max(1, Math.ceil(ds.samples / samplesPerPartition(sizeMb, ds.shapes.redshifts !== null)));
}
