/**
 * Table 2's "Concurrent jobs" is the measured peak (the rank timeline's), with the rank count beside it; runs without
 * a timeline show "—" (null) and the note says why.
 */
import { describe, expect, it } from 'vitest';
import { buildRankTimeline } from '../../cloud/rank-timeline.ts';
import { measurementFromCloudRecord } from '../../study/cloud-measurement.ts';
import { table2 } from '../../study/tables.ts';
import { cloudMeasurement } from '../support/study-measurement.ts';
import { cloudRecord } from '../support/cloud-record.ts';

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
    // A 2-rank run in a study layout (team1, 25 MB partitions, 1GB) with no timeline: what an older record holds.
    const base = cloudRecord({ result_path: 'team1/result-partition-25MB/1GB/1', ranks: 2 });
    // Rank 0 runs [0,1), rank 1 [1,2): touching, so one at a time.
    expect(timeline.peak).toBe(1);
    const rec = cloudRecord({ ...base, rank_timeline: timeline, measured_peak_concurrency: timeline.peak });
    expect(measurementFromCloudRecord(rec).measuredPeakConcurrency).toBe(1);
    expect(measurementFromCloudRecord(base).measuredPeakConcurrency).toBeUndefined();
  });
});
