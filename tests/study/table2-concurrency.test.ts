/**
 * Table 2's "Concurrent jobs" is the measured peak (the rank timeline's), with the rank count beside it; runs without
 * a timeline show "—" (null) and the note says why.
 */
import { describe, expect, it } from 'vitest';
import { CloudRunRecordSchema, type CloudRunRecord } from '../../base/cloud-run-record.ts';
import { buildRankTimeline } from '../../cloud/rank-timeline.ts';
import { measurementFromCloudRecord } from '../../study/cloud-measurement.ts';
import { table2 } from '../../study/tables.ts';
import { cloudMeasurement } from '../support/study-measurement.ts';

const run = cloudMeasurement;

describe('Table 2: concurrent jobs = measured peak, ranks beside it', () => {
  it('takes the largest measured peak over the repeats that have one; ranks stay the rank count', () => {
    const t = table2([
      run({ repeat: 1, measuredPeakConcurrency: 3 }),
      run({ repeat: 2, measuredPeakConcurrency: 4 }),
      run({ repeat: 3 }),
      run({ partitionMb: 50, ranks: 2 }),
    ]);
    expect(t.rows.map((r) => [r.partition_mb, r.concurrent_jobs, r.ranks, r.repeats])).toEqual([
      [25, 4, 4, 3],
      [50, null, 2, 1],
    ]);
    expect(t.note).toContain('2 of 4 run(s) have no rank timeline');
    expect(t.note).toContain('[started, ended)');
  });

  it('says nothing about missing timelines when every run has one', () => {
    const t = table2([run({ measuredPeakConcurrency: 1 })]);
    expect(t.rows[0]).toMatchObject({ concurrent_jobs: 1, ranks: 4 });
    expect(t.note).not.toContain('have no rank timeline');
  });

  it("a cloud record's measured_peak_concurrency becomes the measurement's; an older record has none", () => {
    const timeline = buildRankTimeline({
      executionStart: new Date(0),
      executionEnd: new Date(3000),
      source: 'child-executions',
      target: 'cai',
      iterations: [0, 1].map((rank) => ({
        index: null,
        events: [
          {
            id: 1,
            type: 'ExecutionStarted',
            timestamp: new Date(0),
            executionStartedEventDetails: { input: JSON.stringify({ RANK: String(rank) }) },
          },
          { id: 2, type: 'TaskStarted', timestamp: new Date(rank * 1000) },
          { id: 3, type: 'ExecutionSucceeded', timestamp: new Date(rank * 1000 + 1000) },
        ],
      })),
      reports: new Map(),
      results: new Map(),
    });
    const base = {
      id: 'c',
      kind: 'cloud',
      status: 'completed',
      started: '2026-11-28T10:00:00Z',
      finished: null,
      profile: {
        name: 'p',
        region: 'us-east-1',
        lambdaMemoryMb: 2048,
        architecture: 'x86_64',
        inferenceLambdaName: 'f',
      },
      stateMachineArn: 'sm',
      executionArn: 'ex',
      executionName: 'ex',
      payload: { batch_size: 32 },
      result_path: 'team1/result-partition-25MB/1GB/1',
      bucket: 'b',
      'total_cpu_time (seconds)': 1,
      'total_cpu_memory (MB)': 1,
      'execution_time (seconds/batch)': 1,
      num_batches: 1,
      batch_size: 32,
      device: 'cpu',
      throughput_bps: 1,
      sample_persec: 1,
      total_bits: 1,
      wall_throughput_bps: null,
      map_duration_seconds: null,
      cpu_time_outliers_dropped: 0,
      ranks: 2,
      rank_results: [],
      rank_keys: [],
      combined: null,
      results_source: 'rank-files',
      result_problems: [],
      items: null,
      failed_ranks: [],
      lambda: null,
      error: null,
      cause: null,
      metricDefinitions: {},
    };
    // Rank 0 runs [0,1), rank 1 [1,2): touching, so one at a time.
    expect(timeline.peak).toBe(1);
    const rec: CloudRunRecord = CloudRunRecordSchema.parse({
      ...base,
      rank_timeline: timeline,
      measured_peak_concurrency: timeline.peak,
    });
    expect(measurementFromCloudRecord(rec).measuredPeakConcurrency).toBe(1);
    expect(measurementFromCloudRecord(CloudRunRecordSchema.parse(base)).measuredPeakConcurrency).toBeUndefined();
  });
});
