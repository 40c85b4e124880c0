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
  /** As the study records it: the key when there is one file, else the list. */
  data_path: string | string[];
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
      throw new WorkerInputError('NoPartitionsFound', `no .pt partition files under s3://${payload.data_bucket}/${payload.data_prefix} (stage the data first, or fix data_bucket/data_prefix)`);
    }
    const files = all.slice(0, payload.file_limit);
    const worldSize = payload.world_size ?? files.length;
    const items = assignFiles(files, worldSize).map((own, rank) => ({
      ...payload,
      rank,
      world_size: worldSize,
      files: own,
      data_path: own.length === 1 ? own[0] : own,
    }));
    return { ...payload, file_limit: files.length, world_size: worldSize, files, items };
  };
}

let defaultHandler: ReturnType<typeof createInitializer> | undefined;
export async function handler(event: unknown, _context?: unknown): Promise<InitializerOutput> {
  defaultHandler ??= createInitializer({ s3: workerS3Client() });
  return defaultHandler(event);
}
