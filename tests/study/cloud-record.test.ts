import { describe, expect, it } from 'vitest';
import { CloudRunRecordSchema, type CloudRunRecord } from '../../base/cloud-run-record.ts';
import { actualCost } from '../../base/cost-model.ts';
import { parseReportLine } from '../../cloud/logs.ts';
import { cloudRunCost, measurementFromCloudRecord, measurementFromRunRecord } from '../../study/cloud-measurement.ts';
import { table3 } from '../../study/tables.ts';

function record(over: Partial<CloudRunRecord> = {}): CloudRunRecord {
  return CloudRunRecordSchema.parse({
    id: 'cloud-1',
    kind: 'cloud',
    status: 'completed',
    started: '2026-11-28T10:00:00Z',
    finished: '2026-11-28T10:01:00Z',
    profile: {
      name: 'lab',
      region: 'us-east-1',
      lambdaMemoryMb: 3072,
      architecture: 'arm64',
      inferenceLambdaName: 'cai-inference',
    },
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:cai',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:cai:x',
    executionName: 'x',
    payload: { batch_size: 512 },
    result_path: 'team1/result-partition-50MB/2GB/run 2',
    bucket: 'b',
    'total_cpu_time (seconds)': 12,
    'total_cpu_memory (MB)': 11000,
    'execution_time (seconds/batch)': 4.2,
    num_batches: 10,
    batch_size: 512,
    device: 'cpu',
    throughput_bps: 60e6,
    sample_persec: 350,
    total_bits: 7.2e8,
    wall_throughput_bps: null,
    map_duration_seconds: null,
    cpu_time_outliers_dropped: 0,
    ranks: 2,
    rank_results: [{ 'total_cpu_time (seconds)': 11 }, { 'total_cpu_time (seconds)': 13 }],
    rank_keys: ['a/0.json', 'a/1.json'],
    combined: null,
    results_source: 'rank-files',
    result_problems: [],
    items: null,
    failed_ranks: [],
    lambda: {
      invocations: 2,
      billedDurationMs: 25_000,
      durationMs: 24_900,
      maxMemoryUsedMb: 2900,
      coldStarts: 2,
      initDurationMs: 800,
    },
    error: null,
    cause: null,
    metricDefinitions: {},
    ...over,
  });
}

describe('cloud run records as study measurements', () => {
  it('takes the tags from result_path and durations from the REPORT lines', () => {
    const m = measurementFromCloudRecord(record());
    expect(m).toMatchObject({
      target: 'cloud',
      sweep: 'data-size',
      partitionMb: 50,
      dataLabel: '2GB',
      repeat: 2,
      batchSize: 512,
      ranks: 2,
      secondsPerBatch: 4.2,
      throughputBps: 60e6,
      memoryMb: 11000,
      rankSecondsTotal: 25,
      rankSecondsSource: 'billed',
      lambdaMemoryMb: 3072,
    });
  });

  it("falls back to the ranks' CPU time without REPORT lines, and to no tags off the layout", () => {
    const m = measurementFromRunRecord(record({ lambda: null, result_path: 'results/run-20261128' }));
    expect(m).toMatchObject({
      rankSecondsTotal: 24,
      rankSecondsSource: 'cpu-time',
      partitionMb: null,
      dataLabel: null,
      repeat: 1,
    });
  });

  it('refuses runs without metrics and things that are not run records', () => {
    expect(() =>
      measurementFromCloudRecord(record({ ranks: 0, 'total_cpu_time (seconds)': null, error: 'States.TaskFailed' })),
    ).toThrow(/cloud run cloud-1 has no readable rank results \(States\.TaskFailed\)/);
    expect(() => measurementFromRunRecord({ kind: 'other' })).toThrow(/not a run record \(kind "other"\)/);
    expect(() => measurementFromRunRecord({ kind: 'cloud' })).toThrow(/the cloud run record is not readable: id/);
  });
});

describe('Lambda memory: billed as configured, or assumed from the profile', () => {
  const perRank = (memorySizeMb: number, rank: number) => ({
    rank,
    requestId: `req-${rank}`,
    durationMs: 12_000,
    billedDurationMs: 12_500,
    memorySizeMb,
    maxMemoryUsedMb: 5948,
  });

  it("takes the REPORT lines' Memory Size over the profile's setting, and prices with it", () => {
    const r = record({ lambda_per_rank: [perRank(10240, 0), perRank(10240, 1)] });
    expect(measurementFromCloudRecord(r)).toMatchObject({ lambdaMemoryMb: 10240, lambdaMemorySource: 'report' });
    // 25 s billed × 10 GB = 250 GB-s (the profile's 3 GB would give 75)
    expect(cloudRunCost(r)!.gbSeconds).toBe(250);
  });

  it("falls back to the profile's memory, marked assumed, and Table 3 says so", () => {
    const m = measurementFromCloudRecord(record());
    expect(m).toMatchObject({ lambdaMemoryMb: 3072, lambdaMemorySource: 'profile' });
    expect(table3([m]).note).toContain("for runs without them it is the profile's setting, assumed.");
    const billed = measurementFromCloudRecord(record({ lambda_per_rank: [perRank(4096, 0)] }));
    expect(table3([billed]).note ?? '').not.toContain("the profile's setting, assumed");
  });
});

describe('actual cost', () => {
  it('prices a record from its REPORT totals at the profile memory and architecture', () => {
    const cost = cloudRunCost(record())!;
    // 25 s × 3 GB = 75 GB-s at arm64 $0.0000133334, plus 2 requests
    expect(cost.gbSeconds).toBe(75);
    expect(cost.totalUsd).toBeCloseTo(75 * 0.0000133334 + 2 * 0.2e-6, 14);
    expect(cloudRunCost(record({ lambda: null }))).toBeNull();
  });

  it('prices parsed REPORT lines', () => {
    const lines = [
      'REPORT RequestId: 1f6e\tDuration: 1234.56 ms\tBilled Duration: 1235 ms\tMemory Size: 2048 MB\tMax Memory Used: 900 MB\tInit Duration: 301.2 ms',
      'REPORT RequestId: 2a7b\tDuration: 2000.10 ms\tBilled Duration: 2001 ms\tMemory Size: 2048 MB\tMax Memory Used: 910 MB',
    ].map((l) => parseReportLine(l)!);
    const cost = actualCost(lines, 2048, 'x86_64');
    // (1.235 + 2.001) s × 2 GB = 6.472 GB-s
    expect(cost.gbSeconds).toBeCloseTo(6.472, 12);
    expect(cost.totalUsd).toBeCloseTo(6.472 * 0.0000166667 + 2 * 0.2e-6, 14);
    expect(cost.notes).toEqual(['2 REPORT lines, 3.236 billed seconds at 2048 MB.']);
  });
});
