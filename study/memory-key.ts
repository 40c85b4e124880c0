import type { StudyMeasurement } from './measurement.ts';

/**
 * A Lambda memory sweep runs one configuration at several memory sizes: each size is its own configuration, never
 * averaged with another (not in a table row, a chart point, a summary sentence or a "repeats differ" figure). The
 * memory is part of the key only when the cloud runs recorded more than one size, so a study of one size reads as it
 * always did. Tables 1–3 (study/tables.ts), the charts and the summary all key by it.
 */

/** Whether the cloud runs among `runs` recorded more than one Lambda memory size. */
export const memorySwept = (runs: StudyMeasurement[]): boolean =>
  new Set(runs.filter((r) => r.target === 'cloud' && r.lambdaMemoryMb !== undefined).map((r) => r.lambdaMemoryMb))
    .size > 1;

/** A run's memory as part of its configuration: null for local runs, for one size, or when not recorded. */
export const memoryKeyOf = (m: StudyMeasurement, swept: boolean): number | null =>
  swept && m.target === 'cloud' ? (m.lambdaMemoryMb ?? null) : null;

/** " · 1024 MB Lambda" for a label, "" when memory is not part of the key. */
export const memorySuffix = (memoryMb: number | null): string => (memoryMb === null ? '' : ` · ${memoryMb} MB Lambda`);

/** " at 1024 MB Lambda memory" for a sentence, "" when memory is not part of the key. */
export const atMemory = (memoryMb: number | null): string =>
  memoryMb === null ? '' : ` at ${memoryMb} MB Lambda memory`;
