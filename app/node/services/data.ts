import { openDataset } from '../../../engine/data/dataset.ts';
import { partitionDataset } from '../../../engine/data/partitioner.ts';
import { generateSampleData } from '../../../engine/data/sample-data.ts';
import { inspectDataset, type InspectReport } from '../../../engine/data/stats.ts';

/** The data jobs behind `cosmicai inspect`, `partition` and `sample-data`: reading, splitting and making .pt files. */

export type { InspectReport };
export { MB } from '../../../engine/data/types.ts';

/** Files, samples, bytes and per-tensor statistics of one `.pt` file, a folder of partitions or several of either. */
export const inspectData = (paths: string[]): Promise<InspectReport> =>
  inspectDataset(paths.length === 1 ? paths[0] : paths);

/** Splits a dataset into `outDir/1.pt … k.pt` of the study's partition size; `samples` is the dataset's total. */
export async function partitionData(
  input: string,
  sizeMb: number,
  outDir: string,
  onProgress?: (written: number, total: number) => void,
): Promise<{ files: string[]; samplesPerFile: number; samples: number }> {
  const ds = await openDataset(input);
  const { files, samplesPerFile } = await partitionDataset(ds, sizeMb, outDir, onProgress);
  return { files, samplesPerFile, samples: ds.samples };
}

/** Synthetic galaxies in the study's format, deterministic from the seed; returns the files written. */
export const makeSampleData = (opts: { samples: number; outDir: string; seed: number; partitionMb?: number }) =>
  generateSampleData(opts);
