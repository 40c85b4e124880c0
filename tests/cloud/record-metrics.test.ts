/**
 * The cloud run record's own numbers (beyond the rank aggregation, see oracle-aggregate.test.ts): Lambda usage
 * summed from REPORT lines, the Map state's duration from the execution history, and the headline fields'
 * handling of missing values — each against values computed by hand.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { aggregateRanks } from '../../cloud/aggregate.ts';
import { lambdaUsage } from '../../cloud/cloud-run.ts';
import { headlineMetrics } from '../../cloud/cloud-metrics.ts';
import { mapStateDurationSeconds } from '../../cloud/execution-history.ts';
import { parseReportLine } from '../../cloud/logs.ts';

const report = (id: string, duration: number, billed: number, used: number, init?: number) =>
  parseReportLine(
    `REPORT RequestId: ${id}\tDuration: ${duration} ms\tBilled Duration: ${billed} ms\tMemory Size: 2048 MB\t` +
      `Max Memory Used: ${used} MB\t${init === undefined ? '' : `Init Duration: ${init} ms\t`}`,
  )!;

describe('Lambda usage from REPORT lines', () => {
  it('sums billed and actual duration and init time, takes the largest memory, counts cold starts', () => {
    const lines = [
      report('a', 1500.25, 1501, 900, 350.5),
      report('b', 1200.5, 1201, 1100),
      report('c', 999.25, 1000, 700, 410.25),
    ];
    expect(lines.every(Boolean)).toBe(true);
    expect(lambdaUsage(lines)).toEqual({
      invocations: 3,
      billedDurationMs: 3702, // 1501 + 1201 + 1000
      durationMs: 3700, // 1500.25 + 1200.5 + 999.25
      maxMemoryUsedMb: 1100,
      coldStarts: 2,
      initDurationMs: 760.75, // 350.5 + 410.25
    });
    expect(lambdaUsage([])).toEqual({
      invocations: 0,
      billedDurationMs: 0,
      durationMs: 0,
      maxMemoryUsedMb: 0,
      coldStarts: 0,
      initDurationMs: 0,
    });
  });
});

describe("the Map state's duration from the execution history", () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + s * 1000);
  const ev = (id: number, type: string, s: number, name?: string): HistoryEvent =>
    ({
      id,
      type,
      timestamp: t(s),
      ...(name && type.endsWith('Entered') ? { stateEnteredEventDetails: { name } } : {}),
      ...(name && type.endsWith('Exited') ? { stateExitedEventDetails: { name } } : {}),
    }) as HistoryEvent;

  it('from MapStateEntered to the exit of that same state', () => {
    const events = [
      ev(1, 'ExecutionStarted', 0),
      ev(2, 'TaskStateEntered', 0.5, 'Initialize'),
      ev(3, 'TaskStateExited', 2, 'Initialize'),
      ev(4, 'MapStateEntered', 2.25, 'Distributed'),
      ev(5, 'MapStateExited', 3, 'Inner'), // another map's exit (a nested map) does not end it
      ev(6, 'MapStateExited', 14.75, 'Distributed'),
      ev(7, 'ExecutionSucceeded', 16),
    ];
    expect(mapStateDurationSeconds(events)).toBe(12.5);
  });

  it('to the failure that ended it; null when the Map never ran or never ended', () => {
    expect(
      mapStateDurationSeconds([
        ev(1, 'MapStateEntered', 10, 'D'),
        ev(2, 'MapRunFailed', 17.5),
        ev(3, 'ExecutionFailed', 18),
      ]),
    ).toBe(7.5);
    expect(mapStateDurationSeconds([ev(1, 'ExecutionStarted', 0), ev(2, 'ExecutionFailed', 1)])).toBeNull();
    expect(mapStateDurationSeconds([ev(1, 'MapStateEntered', 10, 'D')])).toBeNull();
  });
});

describe('headline metrics of the record', () => {
  it('copies the aggregate, with NaN (no CPU value kept) and missing values as null', () => {
    const a = aggregateRanks(
      [
        {
          'total_cpu_time (seconds)': 2,
          'total_cpu_memory (MB)': 10,
          throughput_bps: 100,
          num_batches: 3,
          batch_size: 8,
        },
        {
          'total_cpu_time (seconds)': 4,
          'total_cpu_memory (MB)': 30,
          throughput_bps: 300,
          num_batches: 1,
          batch_size: 8,
        },
      ],
      8,
    );
    expect(headlineMetrics(a)).toEqual({
      'total_cpu_time (seconds)': 3,
      'total_cpu_memory (MB)': 40,
      'execution_time (seconds/batch)': null, // the ranks did not report it
      num_batches: 4,
      batch_size: 8,
      throughput_bps: 400,
      sample_persec: null,
      total_bits: 1400, // 100·2 + 300·4
      wall_throughput_bps: 175, // 1400 / 8
      map_duration_seconds: 8,
      cpu_time_outliers_dropped: 0,
      ranks: 2,
    });
    const none = headlineMetrics(aggregateRanks([], null));
    expect(none['total_cpu_time (seconds)']).toBeNull();
    expect(none.ranks).toBe(0);
    expect(headlineMetrics(null)).toMatchObject({ throughput_bps: null, ranks: 0, cpu_time_outliers_dropped: 0 });
  });
});
