import { comparePartitionNames } from '../../engine/data/dataset.ts';

/** The `.pt` keys under a prefix in dataset order: by file name numerically (1.pt, 2.pt, … 10.pt), as locally. */
export function orderPartitionKeys(keys: string[]): string[] {
  const base = (k: string) => k.slice(k.lastIndexOf('/') + 1);
  return keys
    .filter((k) => base(k).toLowerCase().endsWith('.pt'))
    .sort((a, b) => comparePartitionNames(base(a), base(b)) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Which files each rank processes, as the study's initializer assigns them:
 *  - at least as many files as ranks: contiguous blocks, rank r taking ceil(files left / ranks left) files;
 *  - more ranks than files: ranks from the number of files on get no file (as the study's initializer gives them
 *    DATA_PATH null): they run and write no result, so no file is counted twice.
 * `worldSize` defaults to one rank per file.
 */
export function assignFiles(files: string[], worldSize = files.length): string[][] {
  if (files.length === 0) throw new RangeError('no partition files to assign');
  if (!Number.isSafeInteger(worldSize) || worldSize < 1)
    throw new RangeError(`world_size must be a positive integer, got ${worldSize}`);
  const plan: string[][] = [];
  let start = 0;
  for (let rank = 0; rank < worldSize; rank++) {
    if (rank >= files.length) {
      plan.push([]);
      continue;
    }
    const step = Math.ceil((files.length - start) / (worldSize - rank));
    plan.push(files.slice(start, start + step));
    start += step;
  }
  return plan;
}
