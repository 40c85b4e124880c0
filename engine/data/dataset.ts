import fs from 'node:fs';
import path from 'node:path';
import { PtFormatError } from './pt-errors.ts';
import { type PartitionHeader, readGalaxyPartition, readPartitionHeader } from './pt-reader.ts';
import {
  type GalaxyPartition,
  IMAGE_SHAPE,
  IMAGE_VALUES_PER_SAMPLE,
  MAGNITUDES_PER_SAMPLE,
  type PartitionRef,
  type SourceDtype,
} from './types.ts';

/**
 * A dataset is an ordered list of partition files known by their headers. Tensors are loaded one partition at
 * a time, so a 12.6 GB dataset never sits in memory at once.
 */
export interface Dataset {
  readonly partitions: PartitionRef[];
  readonly samples: number;
  /** Sum of the partition file sizes. */
  readonly bytes: number;
  /** Whole-dataset shapes: images [N,5,32,32], magnitudes [N,5], redshifts [N] (null when unlabelled). */
  readonly shapes: { images: number[]; magnitudes: number[]; redshifts: number[] | null };
  /** dtype stored in the first file, per tensor (float32 for the study's data). */
  readonly dtypes?: { images: SourceDtype; magnitudes: SourceDtype; redshifts: SourceDtype | null };
  load(ref: PartitionRef): Promise<GalaxyPartition>;
}

/** Sorts partition names numerically (1.pt, 2.pt, … 10.pt); names without a number follow, alphabetically. */
export function comparePartitionNames(a: string, b: string): number {
  const na = /^(\d+)/.exec(a);
  const nb = /^(\d+)/.exec(b);
  if (na && nb && Number(na[1]) !== Number(nb[1])) return Number(na[1]) - Number(nb[1]);
  if (na && !nb) return -1;
  if (!na && nb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

async function statOrFail(p: string): Promise<fs.Stats> {
  try {
    return await fs.promises.stat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PtFormatError(
      p,
      'io',
      code === 'ENOENT' ? 'no such file or folder' : `cannot read it: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The `.pt` files of a folder in numeric order. */
export async function listPartitionFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (err) {
    throw new PtFormatError(dir, 'io', `cannot list the folder: ${(err as Error).message}`, { cause: err });
  }
  const pts = names.filter((n) => n.toLowerCase().endsWith('.pt') && !n.startsWith('.')).sort(comparePartitionNames);
  if (!pts.length) throw new PtFormatError(dir, 'no-pt-files', 'the folder holds no .pt files');
  return pts.map((n) => path.join(dir, n));
}

/** Expands a file, a folder or a list of either into partition file paths, in dataset order. */
export async function resolvePartitionFiles(spec: string | string[]): Promise<string[]> {
  const items = Array.isArray(spec) ? spec : [spec];
  if (!items.length) throw new PtFormatError('(no input)', 'no-pt-files', 'no dataset files were given');
  const files: string[] = [];
  for (const item of items) {
    const st = await statOrFail(item);
    if (st.isDirectory()) files.push(...(await listPartitionFiles(item)));
    else files.push(item);
  }
  return files;
}

export async function openDataset(spec: string | string[]): Promise<Dataset> {
  const files = await resolvePartitionFiles(spec);
  const headers: PartitionHeader[] = [];
  for (const f of files) headers.push(await readPartitionHeader(f));
  const labelled = headers[0].labelled;
  const odd = headers.find((h) => h.labelled !== labelled);
  if (odd) {
    throw new PtFormatError(
      odd.path,
      'bad-structure',
      `${odd.labelled ? 'has' : 'lacks'} redshifts while ${headers[0].path} ${labelled ? 'has' : 'lacks'} them; a dataset must be all labelled or all unlabelled`,
    );
  }
  const partitions: PartitionRef[] = headers.map((h, i) => ({
    index: i + 1,
    path: h.path,
    bytes: h.bytes,
    samples: h.samples,
    dtypes: { images: h.dtypes[0], magnitudes: h.dtypes[1] },
  }));
  const samples = partitions.reduce((n, p) => n + p.samples, 0);
  const bytes = partitions.reduce((n, p) => n + p.bytes, 0);
  const [di, dm, dr] = headers[0].dtypes;
  return {
    partitions,
    samples,
    bytes,
    shapes: {
      images: [samples, ...IMAGE_SHAPE],
      magnitudes: [samples, MAGNITUDES_PER_SAMPLE],
      redshifts: labelled ? [samples] : null,
    },
    dtypes: { images: di, magnitudes: dm, redshifts: labelled ? dr : null },
    async load(ref: PartitionRef): Promise<GalaxyPartition> {
      const p = await readGalaxyPartition(ref.path);
      if (p.samples !== ref.samples) {
        throw new PtFormatError(
          ref.path,
          'changed',
          `the file now holds ${p.samples} samples, not the ${ref.samples} it held when the dataset was opened`,
        );
      }
      return p;
    },
  };
}

export interface Batch {
  /** Index of the first sample of the batch within the partition. */
  start: number;
  count: number;
  images: Float32Array;
  magnitudes: Float32Array;
  redshifts: Float32Array | null;
}

/** Galaxies [start, start + count) of a partition in memory, as subarray views (no copies). */
export function batchView(p: GalaxyPartition, start: number, count: number): Batch {
  return {
    start,
    count,
    images: p.images.subarray(start * IMAGE_VALUES_PER_SAMPLE, (start + count) * IMAGE_VALUES_PER_SAMPLE),
    magnitudes: p.magnitudes.subarray(start * MAGNITUDES_PER_SAMPLE, (start + count) * MAGNITUDES_PER_SAMPLE),
    redshifts: p.redshifts ? p.redshifts.subarray(start, start + count) : null,
  };
}

/** Consecutive batches of a partition as subarray views (no copies); the last batch may be shorter. */
export function* batches(p: GalaxyPartition, batchSize: number): Generator<Batch> {
  if (!Number.isSafeInteger(batchSize) || batchSize <= 0)
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  for (let start = 0; start < p.samples; start += batchSize)
    yield batchView(p, start, Math.min(batchSize, p.samples - start));
}

/** Every batch of the dataset, partition by partition; only one partition is in memory at a time. */
export async function* datasetBatches(
  ds: Dataset,
  batchSize: number,
): AsyncGenerator<Batch & { partition: PartitionRef }> {
  for (const ref of ds.partitions) {
    const p = await ds.load(ref);
    for (const b of batches(p, batchSize)) yield { ...b, partition: ref };
  }
}
