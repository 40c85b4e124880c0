import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { awsCall } from './aws-errors.ts';
import type { CaiPayload } from './payload.ts';

/**
 * The rank plan the study's initializer (../shared/cai/lambda/initializer.py) will make, computed before starting:
 * ONE `list_objects_v2` page of `data_bucket/data_prefix` (≤ 1,000 keys, S3's lexicographic order: 1.pt, 10.pt,
 * 100.pt, 2.pt …), the `.pt` keys, the first `file_limit` of them; `world_size` defaults to `file_limit`; rank r takes
 * ceil(files left / ranks left) files (one file → a key, several → a list); ranks beyond the files get null (they
 * are still invoked, and billed, and exit without a result).
 */

export interface RankAssignment {
  rank: number;
  /** As the initializer writes DATA_PATH: a key, a list of keys, or null (no data). */
  dataPath: string | string[] | null;
}

export interface CaiRankPlan {
  dataBucket: string;
  dataPrefix: string;
  /** The `.pt` keys of the one listing page, in its order. */
  listed: string[];
  /** More keys exist than that one page holds. */
  truncated: boolean;
  fileLimit: number;
  worldSize: number;
  /** The files the initializer will use. */
  files: string[];
  ranks: RankAssignment[];
  /** Things the user must accept before starting. */
  warnings: string[];
}

const ceil = (a: number, b: number) => Math.floor((a + b - 1) / b);

/** Pure: the initializer's assignment, plus the warnings. `staged` = the keys this run staged (when known). */
export function caiRankPlan(input: {
  dataBucket: string;
  dataPrefix: string;
  listed: string[];
  truncated: boolean;
  fileLimit: number;
  worldSize?: number;
  staged?: string[];
}): CaiRankPlan {
  const files = input.listed.filter((k) => k.endsWith('.pt')).slice(0, input.fileLimit);
  const worldSize = input.worldSize ?? input.fileLimit;
  const ranks: RankAssignment[] = [];
  let start = 0;
  for (let rank = 0; rank < worldSize; rank++) {
    if (rank < files.length) {
      const step = ceil(files.length - start, worldSize - rank);
      ranks.push({ rank, dataPath: step === 1 ? files[start] : files.slice(start, start + step) });
      start += step;
    } else ranks.push({ rank, dataPath: null });
  }
  const warnings: string[] = [];
  const where = `s3://${input.dataBucket}/${input.dataPrefix}`;
  if (files.length === 0) warnings.push(`No .pt files under ${where}: every rank would get no data.`);
  const idle = ranks.filter((r) => r.dataPath === null).length;
  if (idle > 0 && files.length > 0) {
    warnings.push(
      `${worldSize} ranks for ${files.length} file(s): ranks ${files.length}–${worldSize - 1} get no data; the study's pipeline still invokes (and bills) them, and they write no result.`,
    );
  }
  if (input.truncated)
    warnings.push(
      `${where} holds more than the 1,000 keys one listing returns: the initializer only sees the first page (in lexicographic order).`,
    );
  if (files.length < input.fileLimit && files.length > 0)
    warnings.push(`file_limit is ${input.fileLimit} but only ${files.length} .pt file(s) are listed under ${where}.`);
  if (input.staged) {
    const chosen = new Set(files);
    const staged = new Set(input.staged);
    const extra = files.filter((f) => !staged.has(f));
    const left = input.staged.filter((f) => !chosen.has(f));
    if (extra.length || left.length) {
      warnings.push(
        `The initializer would pick files other than the ${input.staged.length} staged: ${extra.length ? `not staged by this run: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? '…' : ''}` : ''}${extra.length && left.length ? '; ' : ''}${left.length ? `staged but left out: ${left.slice(0, 5).join(', ')}${left.length > 5 ? '…' : ''}` : ''}.`,
      );
    }
  }
  return {
    dataBucket: input.dataBucket,
    dataPrefix: input.dataPrefix,
    listed: input.listed,
    truncated: input.truncated,
    fileLimit: input.fileLimit,
    worldSize,
    files,
    ranks,
    warnings,
  };
}

/** Lists the prefix once, as the initializer does, and plans. */
export async function planCaiRun(s3: S3Client, payload: CaiPayload, staged?: string[]): Promise<CaiRankPlan> {
  const page = await awsCall({ service: 'S3', operation: 'ListObjectsV2', bucket: payload.data_bucket }, () =>
    s3.send(new ListObjectsV2Command({ Bucket: payload.data_bucket, Prefix: payload.data_prefix })),
  );
  const listed = (page.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.endsWith('.pt'));
  return caiRankPlan({
    dataBucket: payload.data_bucket,
    dataPrefix: payload.data_prefix,
    listed,
    truncated: !!page.IsTruncated,
    fileLimit: payload.file_limit,
    worldSize: payload.world_size,
    staged,
  });
}

/** Counts the `.pt` partitions directly under a prefix (all pages): the default `file_limit` when nothing was staged now. */
export async function countStagedPartitions(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await awsCall({ service: 'S3', operation: 'ListObjectsV2', bucket }, () =>
      s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
    );
    for (const o of page.Contents ?? [])
      if (o.Key?.endsWith('.pt') && !o.Key.slice(prefix.length).includes('/')) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export function formatRankPlan(plan: CaiRankPlan): string {
  const show = (d: string | string[] | null) => (d === null ? '(no data)' : Array.isArray(d) ? `[${d.join(', ')}]` : d);
  return [
    `rank plan (as the study's initializer will make it; one listing of s3://${plan.dataBucket}/${plan.dataPrefix}, lexicographic):`,
    ...plan.ranks.map((r) => `  rank ${r.rank}: ${show(r.dataPath)}`),
    ...plan.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}
