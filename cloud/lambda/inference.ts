/**
 * Inference: one Map item = one rank. Downloads the rank's partitions to /tmp, runs the model with
 * onnxruntime-node on the CPU, and writes `<result_path>/<rank>.json` with exactly the study's keys.
 *
 * The InferenceSession is created once per container: a module-level cache keyed by the model's S3 location,
 * shared by every later invocation in the same container (and by concurrent ones while it is being created).
 * The invocation that creates it reports `cold_start: true` and `init_duration_ms` (download + inspect + session
 * creation), kept out of every metric.
 *
 * Metrics are measured as the local runner measures a partition (engine/run/worker.ts) and turned into the
 * study's fields by the same function (`studyRates`): CPU = process user+system time over the inference windows
 * (first batch start to last batch end of each partition), memory = peak RSS sampled after session creation and
 * after every batch, throughput = input bits / inference wall time; loading is excluded.
 */
import os from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { allocateBatchBuffers, openPartitionStream } from '../../engine/data/pt-stream.ts';
import { inspectModel } from '../../engine/model/model-info.ts';
import { engineSessionOptions, predictBatch } from '../../engine/run/engine-session.ts';
import { InferenceWindow } from '../../engine/run/inference-window.ts';
import { studyRates, type Measured } from '../../base/local-run-record.ts';
import { CaiPayloadSchema } from '../payload-schema.ts';
import { RANK_RESULT_KEYS, rankResultKey, RankResultSchema, type RankResult } from '../rank-result.ts';
import { WorkerInputError } from './initializer.ts';
import { resolveModelKey } from './model-location.ts';
import { downloadTo, listObjects, putJson, workerS3Client } from './s3.ts';

const RankItemSchema = CaiPayloadSchema.extend({
  rank: z.number().int().nonnegative(),
  world_size: z.number().int().positive(),
  /** Empty for a rank beyond the files: it writes no result (as the study's ranks with DATA_PATH null). */
  files: z.array(z.string().min(1)),
  data_path: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
});

export interface InferenceOutput {
  rank: number;
  /** null for a rank given no file (nothing written). */
  result_key: string | null;
  /** True when this invocation created the session (the container's first use of this model). */
  cold_start: boolean;
  /** Model download + inspection + session creation, ms; null when the session was already there. */
  init_duration_ms: number | null;
  /** Downloading and parsing the partitions, seconds (not part of any study metric). */
  load_seconds: number;
  samples: number;
  result: RankResult | null;
}

interface LoadedModel {
  session: ort.InferenceSession;
  binding: { image: string; magnitude: string; output: string };
  initMs: number;
}

/** The container's sessions, by `s3://bucket/key` of the model. */
const sessions = new Map<string, Promise<LoadedModel>>();

/** Number of sessions this container holds (for tests of the once-per-container rule). */
export const cachedSessionCount = () => sessions.size;

async function loadModel(s3: S3Client, bucket: string, key: string, tmp: string): Promise<LoadedModel> {
  const t0 = performance.now();
  const file = await downloadTo(s3, bucket, key, path.join(tmp, 'model'));
  const info = await inspectModel(file);
  // The local engine's session settings and slicing, so a rank computes exactly as the local baseline does.
  const session = await ort.InferenceSession.create(file, engineSessionOptions());
  return { session, binding: info.binding, initMs: performance.now() - t0 };
}

export function createInference(deps: { s3: S3Client; tmpDir?: string }) {
  const tmp = deps.tmpDir ?? path.join(os.tmpdir(), 'cosmicai');
  return async function infer(event: unknown, log: (line: string) => void = console.log): Promise<InferenceOutput> {
    // As the study's executor does: the rank payload first, so REPORT lines can be attributed to this rank by request id.
    const e = (event ?? {}) as Record<string, unknown>;
    log(
      `received: ${JSON.stringify({ rank: e.rank, world_size: e.world_size, result_path: e.result_path, files: e.files })}`,
    );
    const parsed = RankItemSchema.safeParse(event);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new WorkerInputError(
        'InvalidPayload',
        `the inference item is not a rank item from the initializer: ${problems}`,
      );
    }
    const item = parsed.data;
    if (item.files.length === 0) {
      log(`Rank: ${item.rank}. Data path is not specified. Exiting.`);
      return {
        rank: item.rank,
        result_key: null,
        cold_start: false,
        init_duration_ms: null,
        load_seconds: 0,
        samples: 0,
        result: null,
      };
    }
    const modelKey = await resolveModelKey(item, async (prefix) =>
      (await listObjects(deps.s3, item.bucket, prefix)).map((o) => o.key),
    );
    const cacheKey = `s3://${item.bucket}/${modelKey}`;
    let job = sessions.get(cacheKey);
    const cold = !job;
    if (!job) {
      job = loadModel(deps.s3, item.bucket, modelKey, tmp);
      sessions.set(cacheKey, job);
      job.catch(() => sessions.delete(cacheKey)); // a failed load is retried by the next invocation
    }
    const model = await job;

    const m: Measured = {
      samples: 0,
      batches: 0,
      inferenceSeconds: 0,
      cpuSeconds: 0,
      peakRssBytes: process.memoryUsage.rss(),
    };
    let loadSeconds = 0;
    const dataDir = path.join(tmp, 'data', `rank-${item.rank}-${process.hrtime.bigint()}`);
    // Streamed as the local worker streams (CRC pass at open, then one positioned read per batch into buffers
    // allocated once), with the batch reads counted as load and taken out of the inference window the same way.
    const buffers = allocateBatchBuffers(item.batch_size);
    try {
      for (const key of item.files) {
        const l0 = performance.now();
        const file = await downloadTo(deps.s3, item.data_bucket, key, dataDir);
        const part = await openPartitionStream(file);
        loadSeconds += (performance.now() - l0) / 1000;

        const timing = new InferenceWindow();
        const zPred = new Float32Array(part.samples); // the study's rank result holds metrics only
        try {
          for (let start = 0; start < part.samples; start += item.batch_size) {
            const b = timing.read(() => part.read(start, Math.min(item.batch_size, part.samples - start), buffers));
            await predictBatch(model.session, model.binding, b.images, b.magnitudes, b.count, zPred, b.start);
            timing.batchDone();
            m.batches++;
            m.samples += b.count;
            m.peakRssBytes = Math.max(m.peakRssBytes, process.memoryUsage.rss());
          }
        } finally {
          part.close();
          await rm(file, { force: true });
        }
        loadSeconds += timing.readSeconds;
        m.cpuSeconds += timing.cpuSeconds();
        m.inferenceSeconds += timing.inferenceSeconds;
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }

    const result: RankResult = RankResultSchema.parse({
      ...studyRates(m),
      batch_size: item.batch_size,
      device: 'cpu',
      result_path: item.result_path,
      data_path: item.data_path ?? (item.files.length === 1 ? item.files[0] : item.files),
    });
    // Key order as the study writes it.
    const ordered = Object.fromEntries(RANK_RESULT_KEYS.map((k) => [k, result[k]])) as RankResult;
    const resultKey = rankResultKey(item.result_path, item.rank);
    await putJson(deps.s3, item.bucket, resultKey, ordered);
    return {
      rank: item.rank,
      result_key: resultKey,
      cold_start: cold,
      init_duration_ms: cold ? model.initMs : null,
      load_seconds: loadSeconds,
      samples: m.samples,
      result: ordered,
    };
  };
}

let defaultHandler: ReturnType<typeof createInference> | undefined;
export async function handler(event: unknown, _context?: unknown): Promise<InferenceOutput> {
  defaultHandler ??= createInference({ s3: workerS3Client() });
  return defaultHandler(event);
}
