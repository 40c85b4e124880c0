/**
 * Initialize: validates the payload, lists the `.pt` partitions under `data_bucket/data_prefix` in numeric order,
 * keeps the first `file_limit`, and assigns them to ranks (see rank-plan.ts). Its output feeds the Distributed
 * Map (ItemsPath `$.items`) and, unchanged, the summarizer.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { parseCaiPayload, type CaiPayload } from '../payload-schema.ts';
import { assignFiles, orderPartitionKeys } from './rank-plan.ts';
import { listObjects, workerS3Client } from './s3.ts';

/** One Map item: the payload, plus this rank's place and files. */
export type RankItem = CaiPayload & {
  rank: number;
  world_size: number;
  /** The partition keys in `data_bucket` this rank processes. */
  files: string[];
  /** As the study records it: the key when there is one file, else the list; null for a rank given no file. */
  data_path: string | string[] | null;
};

export type InitializerOutput = CaiPayload & {
  /** Files actually used (≤ the requested file_limit). */
  file_limit: number;
  world_size: number;
  files: string[];
  items: RankItem[];
};

export class WorkerInputError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export function createInitializer(deps: { s3: S3Client }) {
  return async function initialize(event: unknown): Promise<InitializerOutput> {
    let payload: CaiPayload;
    try {
      payload = parseCaiPayload(event, 'the state machine input');
    } catch (err) {
      throw new WorkerInputError('InvalidPayload', (err as Error).message);
    }
    const listed = await listObjects(deps.s3, payload.data_bucket, payload.data_prefix);
    const all = orderPartitionKeys(listed.map((o) => o.key));
    if (all.length === 0) {
      throw new WorkerInputError(
        'NoPartitionsFound',
        `no .pt partition files under s3://${payload.data_bucket}/${payload.data_prefix} (stage the data first, or fix data_bucket/data_prefix)`,
      );
    }
    if (payload.ranks) return chosenRanks(payload, new Set(all));
    const files = all.slice(0, payload.file_limit);
    const worldSize = payload.world_size ?? files.length;
    const items = assignFiles(files, worldSize).map((own, rank) => ({
      ...payload,
      rank,
      world_size: worldSize,
      files: own,
      data_path: own.length === 0 ? null : own.length === 1 ? own[0] : own,
    }));
    return { ...payload, file_limit: files.length, world_size: worldSize, files, items };
  };
}

/** A re-run of chosen ranks: each keeps its rank number (so its result overwrites that rank's file) and its files. */
function chosenRanks(payload: CaiPayload, listed: Set<string>): InitializerOutput {
  const ranks = payload.ranks!;
  const unknown = ranks.flatMap((r) => r.files).filter((f) => !listed.has(f));
  if (unknown.length) {
    throw new WorkerInputError(
      'NoPartitionsFound',
      `ranks name partition files that are not under s3://${payload.data_bucket}/${payload.data_prefix}: ${unknown.slice(0, 5).join(', ')}`,
    );
  }
  const worldSize = payload.world_size ?? Math.max(...ranks.map((r) => r.rank)) + 1;
  const files = ranks.flatMap((r) => r.files);
  const items = ranks.map((r) => ({
    ...payload,
    rank: r.rank,
    world_size: worldSize,
    files: r.files,
    data_path: r.files.length === 1 ? r.files[0] : r.files,
  }));
  return { ...payload, file_limit: files.length, world_size: worldSize, files, items };
}

let defaultHandler: ReturnType<typeof createInitializer> | undefined;
export async function handler(event: unknown, _context?: unknown): Promise<InitializerOutput> {
  defaultHandler ??= createInitializer({ s3: workerS3Client() });
  return defaultHandler(event);
}
