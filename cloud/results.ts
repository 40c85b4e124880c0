import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { awsCall } from './aws-errors.ts';
import { aggregateRanks, AggregatableRankSchema, type CloudAggregate } from './aggregate.ts';
import { CPU_MEMORY, CPU_TIME } from '../base/metric-keys.ts';

/**
 * Reads a run's results under `result_path`: every per-rank `*.json` and the summarizer's `combined_data.json`.
 * A missing or malformed rank file is listed in `problems` and left out of the aggregate; it never sinks the rest.
 */

export const COMBINED_FILE = 'combined_data.json';
/** A rank result is a few hundred bytes; anything this large is not one. */
const MAX_RESULT_BYTES = 16 * 1024 * 1024;

export interface ResultProblem {
  key: string;
  problem: string;
}

export interface RunResults {
  bucket: string;
  resultPath: string;
  /** Per-rank objects, raw, in key order. */
  ranks: Array<Record<string, unknown>>;
  rankKeys: string[];
  /** combined_data.json, raw, or null when absent (the summarizer did not run) or malformed. */
  combined: unknown[] | null;
  /** Where the aggregate's ranks came from. */
  source: 'rank-files' | 'combined' | 'none';
  problems: ResultProblem[];
  aggregate: CloudAggregate | null;
}

async function readJson(
  s3: S3Client,
  bucket: string,
  key: string,
  size: number | undefined,
): Promise<{ ok: true; value: unknown } | { ok: false; problem: string }> {
  if (size !== undefined && size > MAX_RESULT_BYTES)
    return { ok: false, problem: `${size} bytes is too large for a result file` };
  const obj = await awsCall({ service: 'S3', operation: 'GetObject', bucket, key }, () =>
    s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
  );
  const text = (await obj.Body?.transformToString('utf-8')) ?? '';
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, problem: `not valid JSON (${(err as Error).message})` };
  }
}

function checkRank(value: unknown): { ok: true; rank: Record<string, unknown> } | { ok: false; problem: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'not a JSON object' };
  const r = AggregatableRankSchema.safeParse(value);
  if (!r.success)
    return {
      ok: false,
      problem: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    };
  return { ok: true, rank: value as Record<string, unknown> };
}

/** Lists `<resultPath>/…` (paginated) and reads everything. `mapDurationSeconds` feeds the wall throughput. */
export async function readResults(
  s3: S3Client,
  bucket: string,
  resultPath: string,
  mapDurationSeconds: number | null = null,
): Promise<RunResults> {
  const prefix = resultPath.endsWith('/') ? resultPath : `${resultPath}/`;
  const objects: Array<{ key: string; size?: number }> = [];
  let token: string | undefined;
  do {
    const page = await awsCall({ service: 'S3', operation: 'ListObjectsV2', bucket }, () =>
      s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
    );
    for (const o of page.Contents ?? []) if (o.Key) objects.push({ key: o.Key, size: o.Size });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);

  const problems: ResultProblem[] = [];
  const ranks: Array<Record<string, unknown>> = [];
  const rankKeys: string[] = [];
  let combined: unknown[] | null = null;
  const combinedKey = `${prefix}${COMBINED_FILE}`;

  for (const o of objects
    .filter((x) => x.key.endsWith('.json'))
    .sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }))) {
    const read = await readJson(s3, bucket, o.key, o.size);
    if (!read.ok) {
      problems.push({ key: o.key, problem: read.problem });
      continue;
    }
    if (o.key === combinedKey) {
      if (Array.isArray(read.value)) combined = read.value;
      else problems.push({ key: o.key, problem: 'combined_data.json is not a JSON list' });
      continue;
    }
    // Every other .json under the prefix is a rank file, as the study's summarizer reads them.
    const items = Array.isArray(read.value) ? read.value : [read.value];
    items.forEach((item, i) => {
      const c = checkRank(item);
      const label = items.length > 1 ? `${o.key}[${i}]` : o.key;
      if (c.ok) {
        ranks.push(c.rank);
        rankKeys.push(label);
      } else problems.push({ key: label, problem: c.problem });
    });
  }

  let source: RunResults['source'] = 'none';
  let counted = ranks;
  if (ranks.length > 0) source = 'rank-files';
  else if (combined) {
    // Recorded runs (and runs whose rank files were cleaned up) only have the combined list.
    counted = [];
    combined.forEach((item, i) => {
      const c = checkRank(item);
      if (c.ok) counted.push(c.rank);
      else problems.push({ key: `${combinedKey}[${i}]`, problem: c.problem });
    });
    if (counted.length) source = 'combined';
  }
  if (objects.length === 0)
    problems.push({
      key: prefix,
      problem: 'no objects under the result path (the run may not have written any yet, or the path is wrong)',
    });

  return {
    bucket,
    resultPath,
    ranks,
    rankKeys,
    combined,
    source,
    problems,
    aggregate: counted.length
      ? aggregateRanks(
          counted as Array<{ [CPU_TIME]: number; [CPU_MEMORY]: number; throughput_bps: number }>,
          mapDurationSeconds,
        )
      : null,
  };
}
