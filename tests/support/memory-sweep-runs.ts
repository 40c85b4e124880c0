import { CloudRunRecordSchema, type CloudRunRecord } from '../../base/cloud-run-record.ts';
import { HistoryStore } from '../../app/node/history-store.ts';

/**
 * Cloud run records of the same job at several Lambda memory sizes, as a memory sweep leaves them in History: each
 * rank's REPORT line carries the Memory Size and its billed duration, so the measurement reads the memory from the
 * REPORT lines (source "report"). For the recommendation's service, CLI and browser tests.
 */

export interface SweepRun {
  memoryMb: number;
  /** Billed duration of each rank, s. */
  rankSeconds: number[];
  repeat: number;
  /** The execution's wall time, s (start to stop). */
  executionSeconds: number;
  batchSize?: number;
}

export function sweepRecord(r: SweepRun): CloudRunRecord {
  const ranks = r.rankSeconds.length;
  const started = Date.UTC(2026, 11, 1, 10, 0, 0) + r.memoryMb * 1000 + r.repeat * 60_000;
  const billed = r.rankSeconds.reduce((a, b) => a + b, 0) * 1000;
  return CloudRunRecordSchema.parse({
    id: `mem${r.memoryMb}-r${r.repeat}`,
    kind: 'cloud',
    status: 'completed',
    started: new Date(started).toISOString(),
    finished: new Date(started + r.executionSeconds * 1000).toISOString(),
    profile: {
      name: 'lab',
      region: 'us-east-1',
      lambdaMemoryMb: 3008,
      architecture: 'x86_64',
      inferenceLambdaName: 'cai-inference',
    },
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:cai',
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:cai:m${r.memoryMb}r${r.repeat}`,
    executionName: `m${r.memoryMb}r${r.repeat}`,
    payload: { batch_size: r.batchSize ?? 512, script: 'astromae.onnx' },
    result_path: `results/sweep/result-partition-25MB/1GB/${r.repeat}`,
    bucket: 'b',
    'total_cpu_time (seconds)': 3,
    'total_cpu_memory (MB)': 900 * ranks,
    'execution_time (seconds/batch)': 1.5,
    num_batches: 3 * ranks,
    batch_size: r.batchSize ?? 512,
    device: 'cpu',
    throughput_bps: 50e6,
    sample_persec: 400,
    total_bits: 4e8,
    wall_throughput_bps: null,
    map_duration_seconds: null,
    cpu_time_outliers_dropped: 0,
    ranks,
    rank_results: r.rankSeconds.map(() => ({ 'total_cpu_time (seconds)': 3 })),
    rank_keys: r.rankSeconds.map((_, i) => `k/${i}.json`),
    combined: null,
    results_source: 'rank-files',
    result_problems: [],
    items: null,
    failed_ranks: [],
    lambda: {
      invocations: ranks,
      billedDurationMs: billed,
      durationMs: billed - ranks,
      maxMemoryUsedMb: 900,
      coldStarts: 0,
      initDurationMs: 0,
    },
    lambda_per_rank: r.rankSeconds.map((s, i) => ({
      rank: i,
      requestId: `req-${r.memoryMb}-${r.repeat}-${i}`,
      durationMs: s * 1000 - 1,
      billedDurationMs: s * 1000,
      memorySizeMb: r.memoryMb,
      maxMemoryUsedMb: 900,
    })),
    error: null,
    cause: null,
    metricDefinitions: {},
    target: 'cosmicai',
  });
}

/**
 * The sweep the recommendation tests share: 3 sizes × 3 repeats, 4 ranks each. Σ billed s per execution:
 * 1024 MB 40/42/44, 2048 MB 18/20/22, 4096 MB 14/14/14 (so 42, 40 and 56 GB-s on average): 2048 MB is the
 * cheapest, 4096 MB the fastest, and at w = 0.5 the balanced pick is 2048 MB.
 */
export const SWEEP_3X3: SweepRun[] = [
  ...[40, 42, 44].map((t, i) => ({ memoryMb: 1024, rankSeconds: split4(t), repeat: i + 1, executionSeconds: 15 + i })),
  ...[18, 20, 22].map((t, i) => ({ memoryMb: 2048, rankSeconds: split4(t), repeat: i + 1, executionSeconds: 9 + i })),
  ...[14, 14, 14].map((t, i) => ({ memoryMb: 4096, rankSeconds: split4(t), repeat: i + 1, executionSeconds: 7 + i })),
];

/** Four ranks whose billed seconds add up to `total` (whole milliseconds). */
function split4(total: number): number[] {
  return [total * 0.2, total * 0.3, total * 0.25, total * 0.25].map((s) => Math.round(s * 1000) / 1000);
}

/** Saves the runs in `dataDir`'s History as finished cloud runs; returns their ids in order. */
export async function saveSweepRuns(dataDir: string, runs: SweepRun[]): Promise<string[]> {
  const store = new HistoryStore(dataDir);
  const ids: string[] = [];
  for (const r of runs) {
    const rec = sweepRecord(r);
    const entry = await store.create({
      name: `memory ${r.memoryMb} MB · repeat ${r.repeat}`,
      kind: 'cloud',
      params: {},
    });
    await store.finish(entry.id, { status: 'completed', record: { ...rec, id: entry.id } });
    ids.push(entry.id);
  }
  return ids;
}
