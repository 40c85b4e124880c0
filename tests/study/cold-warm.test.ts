/**
 * Cold vs warm ranks of cloud runs: a rank is cold when its REPORT line has an Init Duration. Records with both
 * kinds split Tables 2 and 3 into cold and warm columns; records with one kind say which in the note.
 */
import { describe, expect, it } from 'vitest';
import { CloudRunRecordSchema, type CloudRunRecord } from '../../base/cloud-run-record.ts';
import { EXECUTION_TIME } from '../../base/metric-keys.ts';
import { measurementFromCloudRecord } from '../../study/cloud-measurement.ts';
import { coldWarmOf } from '../../study/cold-warm.ts';
import { table1, table2, table3 } from '../../study/tables.ts';
import { exportTable } from '../../base/table.ts';

interface RankSpec {
  spb: number;
  billedMs: number;
  cold: boolean;
}

/** A 3-rank cloud run of the study's layout (data-size sweep, 25 MB partitions of 1GB), repeat `repeat`. */
function record(repeat: number, ranks: RankSpec[]): CloudRunRecord {
  return CloudRunRecordSchema.parse({
    id: `cloud-${repeat}`,
    kind: 'cloud',
    status: 'completed',
    started: '2026-11-28T10:00:00Z',
    finished: '2026-11-28T10:01:00Z',
    profile: {
      name: 'lab',
      region: 'us-east-1',
      lambdaMemoryMb: 3072,
      architecture: 'x86_64',
      inferenceLambdaName: 'cai-inference',
    },
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:cai',
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:cai:x${repeat}`,
    executionName: `x${repeat}`,
    payload: { batch_size: 512 },
    result_path: `team1/result-partition-25MB/1GB/run ${repeat}`,
    bucket: 'b',
    'total_cpu_time (seconds)': 12,
    'total_cpu_memory (MB)': 3000,
    [EXECUTION_TIME]: ranks.reduce((a, r) => a + r.spb, 0) / ranks.length,
    num_batches: 10,
    batch_size: 512,
    device: 'cpu',
    throughput_bps: 60e6,
    sample_persec: 350,
    total_bits: 7.2e8,
    wall_throughput_bps: null,
    map_duration_seconds: null,
    cpu_time_outliers_dropped: 0,
    ranks: ranks.length,
    // Result files listed out of rank order: the rank comes from the key, not the position.
    rank_results: [...ranks.keys()].reverse().map((i) => ({ [EXECUTION_TIME]: ranks[i].spb })),
    rank_keys: [...ranks.keys()].reverse().map((i) => `team1/result-partition-25MB/1GB/run ${repeat}/${i}.json`),
    combined: null,
    results_source: 'rank-files',
    result_problems: [],
    items: null,
    failed_ranks: [],
    lambda: {
      invocations: ranks.length,
      billedDurationMs: ranks.reduce((a, r) => a + r.billedMs, 0),
      durationMs: ranks.reduce((a, r) => a + r.billedMs, 0),
      maxMemoryUsedMb: 2000,
      coldStarts: ranks.filter((r) => r.cold).length,
      initDurationMs: 0,
    },
    lambda_per_rank: ranks.map((r, rank) => ({
      rank,
      requestId: `req-${repeat}-${rank}`,
      durationMs: r.billedMs,
      billedDurationMs: r.billedMs,
      memorySizeMb: 3072,
      maxMemoryUsedMb: 2000,
      ...(r.cold ? { initDurationMs: 900 } : {}),
    })),
    error: null,
    cause: null,
    metricDefinitions: {},
  });
}

// Repeat 1: ranks 0, 1 cold, rank 2 warm; repeat 2: rank 0 cold, ranks 1, 2 warm; repeat 3: all warm.
const records = [
  record(1, [
    { spb: 5, billedMs: 40_000, cold: true },
    { spb: 7, billedMs: 44_000, cold: true },
    { spb: 2, billedMs: 20_000, cold: false },
  ]),
  record(2, [
    { spb: 4, billedMs: 38_000, cold: true },
    { spb: 2.5, billedMs: 21_000, cold: false },
    { spb: 1.5, billedMs: 19_000, cold: false },
  ]),
  record(3, [
    { spb: 2, billedMs: 20_000, cold: false },
    { spb: 2, billedMs: 22_000, cold: false },
    { spb: 3, billedMs: 24_000, cold: false },
  ]),
];
const runs = records.map(measurementFromCloudRecord);

describe('cold and warm ranks of one run', () => {
  it('are told apart by the Init Duration, with each kind’s mean s/batch and billed duration', () => {
    expect(coldWarmOf(records[0])).toEqual({
      cold: { ranks: 2, secondsPerBatch: 6, durationSeconds: 42 },
      warm: { ranks: 1, secondsPerBatch: 2, durationSeconds: 20 },
    });
    expect(coldWarmOf(records[2])).toEqual({
      cold: null,
      warm: { ranks: 3, secondsPerBatch: 7 / 3, durationSeconds: 22 },
    });
    expect(runs[1].coldWarm!.warm).toEqual({ ranks: 2, secondsPerBatch: 2, durationSeconds: 20 });
  });

  it('are unknown without REPORT lines', () => {
    expect(coldWarmOf({ ...records[0], lambda_per_rank: undefined })).toBeUndefined();
    expect(measurementFromCloudRecord({ ...records[0], lambda_per_rank: [] }).coldWarm).toBeUndefined();
  });
});

describe('tables with cold and warm ranks', () => {
  it('Table 2 splits s/batch into cold and warm columns (mean ± sd over repeats)', () => {
    const t = table2(runs);
    const keys = t.columns.map((c) => c.key);
    expect(keys).toContain('cold_spb');
    expect(keys).toContain('warm_spb_sd');
    const [row] = t.rows;
    expect(row.cold_warm_ranks).toBe('3 / 6');
    // cold: repeats 1 and 2 have cold ranks, 6 and 4 s/batch → 5 ± √2
    expect(row.cold_spb).toBe(5);
    expect(row.cold_spb_sd).toBeCloseTo(Math.SQRT2, 12);
    // warm: 2, 2, 7/3
    expect(row.warm_spb).toBeCloseTo((2 + 2 + 7 / 3) / 3, 12);
    expect(t.note).toContain('a rank is cold when its REPORT line has an Init Duration');
    const csv = exportTable(t, 'csv').split('\r\n')[0];
    expect(csv).toContain('Cold s/batch (s/batch)');
    expect(csv).toContain('Warm s/batch (s/batch)');
  });

  it('Table 3 splits the per-rank duration', () => {
    const [row] = table3(runs).rows;
    // cold: 42 and 38 s; warm: 20, 20, 22 s
    expect(row.cold_duration).toBe(40);
    expect(row.cold_duration_sd).toBeCloseTo(Math.sqrt(8), 12);
    expect(row.warm_duration).toBeCloseTo(62 / 3, 12);
    expect(table3(runs).columns.find((c) => c.key === 'warm_duration')!.label).toBe('Warm duration per rank');
  });

  it('says which kind alone there is when there is only one, with no split columns', () => {
    const warmOnly = table2(runs.slice(2));
    expect(warmOnly.columns.map((c) => c.key)).not.toContain('cold_spb');
    expect(warmOnly.note).toContain('All 3 rank(s) with a REPORT line were warm (no Init Duration)');
    const coldOnly = table3([measurementFromCloudRecord(record(4, [{ spb: 3, billedMs: 30_000, cold: true }]))]);
    expect(coldOnly.note).toContain('All 1 rank(s) with a REPORT line were cold starts');
  });

  it('leaves local runs and runs without REPORT lines as they were', () => {
    const plain = runs.map((r) => ({ ...r, coldWarm: undefined }));
    expect(table2(plain).columns.map((c) => c.key)).not.toContain('cold_warm_ranks');
    expect(table2(plain).note).not.toMatch(/cold/i);
    expect(table1(plain.map((r) => ({ ...r, sweep: 'batch-size' as const }))).note).not.toMatch(/cold/i);
  });
});
