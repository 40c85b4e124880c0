import type { CloudRunRecord } from '../base/cloud-run-record.ts';
import { parseCaiPayload, type CaiPayload } from './payload-schema.ts';

/** The ranks of a finished execution that need running again: failed ones, and ones whose result is missing or malformed. */
export function ranksToRerun(
  record: Pick<CloudRunRecord, 'failed_ranks' | 'rank_results' | 'payload'>,
): Array<{ rank: number; files: string[] }> {
  const out = new Map<number, string[]>();
  for (const f of record.failed_ranks) {
    const rank = f.rank === null ? NaN : Number(f.rank);
    const files =
      typeof f.dataPath === 'string'
        ? [f.dataPath]
        : Array.isArray(f.dataPath)
          ? f.dataPath.filter((x): x is string => typeof x === 'string')
          : [];
    if (Number.isSafeInteger(rank) && rank >= 0 && files.length) out.set(rank, files);
  }
  return [...out].sort((a, b) => a[0] - b[0]).map(([rank, files]) => ({ rank, files }));
}

/**
 * The payload that re-runs only the given ranks of a run, into the same result_path: each rank keeps its number
 * (its result file replaces the failed one, the finished ranks' files stay), so reading the results afterwards
 * gives the merged run. Throws when there is nothing to re-run.
 */
export function rerunPayload(
  record: Pick<CloudRunRecord, 'failed_ranks' | 'rank_results' | 'payload' | 'executionArn'>,
): CaiPayload {
  const ranks = ranksToRerun(record);
  if (ranks.length === 0)
    throw new Error(`Execution ${record.executionArn} has no failed ranks with known partition files to re-run.`);
  const original = parseCaiPayload(record.payload, `the payload of ${record.executionArn}`);
  const { ranks: _previous, ...rest } = original;
  const worldSize = original.world_size ?? Math.max(original.file_limit, ...ranks.map((r) => r.rank + 1));
  return { ...rest, world_size: worldSize, ranks };
}
