import { openDataset, resolvePartitionFiles } from '../data/dataset.ts';
import { PtFormatError } from '../data/pt-errors.ts';
import { openPartitionStream, type PartitionStream } from '../data/pt-stream.ts';
import { isSynthetic } from '../data/synthetic-marker.ts';
import type { PartitionRef } from '../data/types.ts';

export { allocateBatchBuffers, type BatchBuffers, type PartitionStream } from '../data/pt-stream.ts';
export { ensureDefaultSampleData as defaultSampleData } from '../data/sample-data.ts';

/** The partitions a run will stream, plus those whose header could not be read (recorded as failed). */
export interface PartitionList {
  partitions: PartitionRef[];
  /** Files that failed before the run, with `samples` 0, and why. */
  unreadable: Array<{ ref: PartitionRef; error: string }>;
  samples: number;
  bytes: number;
  synthetic: boolean;
}

/**
 * Opens the dataset by its headers. When one file among several is unreadable, the others still run and that
 * file is listed as failed; when nothing is readable, the first error is thrown.
 */
export async function openPartitions(spec: string[]): Promise<PartitionList> {
  try {
    const ds = await openDataset(spec);
    return {
      partitions: ds.partitions,
      unreadable: [],
      samples: ds.samples,
      bytes: ds.bytes,
      synthetic: isSynthetic(ds.partitions.map((p) => p.path)),
    };
  } catch (err) {
    if (!(err instanceof PtFormatError)) throw err;
    const files = await resolvePartitionFiles(spec); // folder/listing problems are not per-file: they throw
    if (files.length < 2) throw err;
    const partitions: PartitionRef[] = [];
    const unreadable: PartitionList['unreadable'] = [];
    let firstError: unknown;
    for (const [i, file] of files.entries()) {
      try {
        const one = await openDataset(file);
        partitions.push({ ...one.partitions[0], index: i + 1 });
      } catch (e) {
        if (!(e instanceof PtFormatError)) throw e;
        firstError ??= e;
        unreadable.push({ ref: { index: i + 1, path: file, bytes: 0, samples: 0 }, error: e.message });
      }
    }
    // All files readable one by one means the dataset as a whole is inconsistent (e.g. labels in some files only).
    if (partitions.length === 0 || unreadable.length === 0) throw firstError ?? err;
    return {
      partitions,
      unreadable,
      samples: partitions.reduce((s, p) => s + p.samples, 0),
      bytes: partitions.reduce((s, p) => s + p.bytes, 0),
      synthetic: isSynthetic(partitions.map((p) => p.path)),
    };
  }
}

/**
 * Opens one partition for batch reads (in the worker), its records' CRC-32 checked; the file must still hold what
 * its header said.
 */
export async function openPartition(ref: PartitionRef): Promise<PartitionStream> {
  const p = await openPartitionStream(ref.path);
  if (p.samples !== ref.samples) {
    p.close();
    throw new PtFormatError(
      ref.path,
      'changed',
      `the file now holds ${p.samples} samples, not the ${ref.samples} it held when the run started`,
    );
  }
  return p;
}
