/**
 * Summarize: reads every rank's `<result_path>/<rank>.json` and writes `<result_path>/combined_data.json`, the
 * list of the rank objects (the study's concatenation), in rank order. A missing or malformed rank file is
 * reported in the output and left out; the others are combined regardless. Only when no rank produced a usable
 * result does it fail.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { NoSuchKey } from '@aws-sdk/client-s3';
import { combinedKey, rankResultKey, RankResultSchema, type RankResult } from '../rank-result.ts';
import { WorkerInputError } from './initializer.ts';
import { getText, listObjects, putJson, workerS3Client } from './s3.ts';

export interface SummarizerOutput {
  statusCode: 200;
  bucket: string;
  combined_key: string;
  /** Ranks whose result went into combined_data.json. */
  ranks: number[];
  /** Expected ranks without a result file. */
  missing: number[];
  malformed: Array<{ key: string; problem: string }>;
}

interface SummarizerInput {
  bucket: string;
  result_path: string;
  world_size?: number;
  items?: Array<{ rank: number }>;
}

function readInput(event: unknown): SummarizerInput {
  const e = event as Partial<SummarizerInput> | null;
  if (!e || typeof e.bucket !== 'string' || typeof e.result_path !== 'string' || e.result_path === '') {
    throw new WorkerInputError(
      'InvalidPayload',
      'the summarizer needs "bucket" and "result_path" (the initializer output)',
    );
  }
  return e as SummarizerInput;
}

export function createSummarizer(deps: { s3: S3Client }) {
  return async function summarize(event: unknown): Promise<SummarizerOutput> {
    const input = readInput(event);
    const { bucket, result_path } = input;
    const outKey = combinedKey(result_path);
    let expected: number[];
    if (input.items) expected = input.items.map((i) => i.rank);
    else if (input.world_size) expected = Array.from({ length: input.world_size }, (_, r) => r);
    else {
      // No plan given: every <n>.json under result_path is a rank.
      const listed = await listObjects(deps.s3, bucket, `${result_path.replace(/\/+$/, '')}/`);
      expected = listed
        .map((o) => /\/(\d+)\.json$/.exec(o.key))
        .filter((m) => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
    }

    const combined: RankResult[] = [];
    const ranks: number[] = [];
    const missing: number[] = [];
    const malformed: SummarizerOutput['malformed'] = [];
    for (const rank of expected) {
      const key = rankResultKey(result_path, rank);
      let text: string;
      try {
        text = await getText(deps.s3, bucket, key);
      } catch (err) {
        if (err instanceof NoSuchKey || (err as Error).name === 'NoSuchKey') {
          missing.push(rank);
          continue;
        }
        throw err;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        malformed.push({ key, problem: `not valid JSON: ${(err as Error).message}` });
        continue;
      }
      const parsed = RankResultSchema.safeParse(value);
      if (!parsed.success) {
        malformed.push({
          key,
          problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
        });
        continue;
      }
      combined.push(parsed.data);
      ranks.push(rank);
    }
    if (combined.length === 0) {
      const why = [
        missing.length ? `missing ranks ${missing.join(', ')}` : '',
        ...malformed.map((m) => `${m.key}: ${m.problem}`),
      ]
        .filter(Boolean)
        .join('; ');
      throw new WorkerInputError(
        'NoRankResults',
        `no usable rank result under s3://${bucket}/${result_path}/ (${why || 'no ranks expected'})`,
      );
    }
    await putJson(deps.s3, bucket, outKey, combined, 0);
    return { statusCode: 200, bucket, combined_key: outKey, ranks, missing, malformed };
  };
}

let defaultHandler: ReturnType<typeof createSummarizer> | undefined;
export async function handler(event: unknown, _context?: unknown): Promise<SummarizerOutput> {
  defaultHandler ??= createSummarizer({ s3: workerS3Client() });
  return defaultHandler(event);
}
