/**
 * The record of a run whose failed ranks were re-run (cloud/rerun-merge.ts), from hand-made records: every expected
 * sum, maximum and time below is worked out by hand from the numbers in the two records.
 */
import { describe, expect, it } from 'vitest';
import type { CloudRunRecord } from '../../base/cloud-run-record.ts';
import type { RankTimelineEntry } from '../../base/rank-timeline.ts';
import { executionsSummary } from '../../base/run-executions.ts';
import { rankTimelineTable } from '../../base/timeline-table.ts';
import { rankGanttSvg } from '../../base/timeline-svg.ts';
import { mergeRerunRecord } from '../../cloud/rerun-merge.ts';
import { attributeReports } from '../../cloud/report-attribution.ts';
import type { LogLine } from '../../cloud/logs.ts';
import { cloudRecord as record } from '../support/cloud-record.ts';

const ZERO_ITEMS = { pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total: 0 };

function lane(rank: number, started: number, ended: number, status: 'succeeded' | 'failed' = 'succeeded') {
  return {
    rank,
    index: null,
    status,
    submitted: started,
    started,
    ended,
    attempts: 1,
    phases: [{ phase: 'other' as const, start: started, seconds: ended - started, source: 'test' }],
    absent: [],
  } satisfies RankTimelineEntry;
}

function usage(rank: number, requestId: string, billed: number, duration: number, maxUsed: number, init?: number) {
  return {
    rank,
    requestId,
    durationMs: duration,
    billedDurationMs: billed,
    memorySizeMb: 2048,
    maxMemoryUsedMb: maxUsed,
    ...(init !== undefined ? { initDurationMs: init } : {}),
  };
}

const failedRank1 = {
  rank: '1',
  index: 1,
  dataPath: 'data/2.pt',
  error: 'RuntimeError',
  cause: 'bad node',
  event: 'MapIterationFailed',
  timestamp: null,
};

/** Ranks 0, 1, 2; rank 1 failed. 10:00:00 → 10:00:10. */
const original = record({
  status: 'failed',
  error: 'States.ExceedToleratedFailureThreshold',
  cause: 'rank 1 failed',
  ranks: 2,
  rank_keys: ['res/0.json', 'res/2.json'],
  rank_results: [{ data_path: 'data/1.pt' }, { data_path: 'data/3.pt' }],
  total_bits: 2000,
  map_duration_seconds: 9,
  items: { ...ZERO_ITEMS, succeeded: 2, failed: 1, total: 3 },
  failed_ranks: [failedRank1],
  lambda: {
    invocations: 3,
    billedDurationMs: 4000 + 1000 + 5000,
    durationMs: 3900.5 + 950 + 4990,
    maxMemoryUsedMb: 1100,
    coldStarts: 2,
    initDurationMs: 300 + 250,
  },
  lambda_per_rank: [
    usage(0, 'r0', 4000, 3900.5, 900, 300),
    usage(1, 'r1-failed', 1000, 950, 500),
    usage(2, 'r2', 5000, 4990, 1100, 250),
  ],
  lambda_missing_ranks: [],
  rank_plan: [
    { rank: 0, dataPath: 'data/1.pt' },
    { rank: 1, dataPath: 'data/2.pt' },
    { rank: 2, dataPath: 'data/3.pt' },
  ],
  ranks_without_data: [],
  ranks_missing_results: [],
  rank_timeline: {
    executionStart: '2026-12-01T10:00:00.000Z',
    executionSeconds: 10,
    source: 'execution-history',
    ranks: [lane(0, 1, 5), lane(1, 1, 2, 'failed'), lane(2, 1.5, 7)],
    concurrency: [],
    peak: 3,
    peakAt: 1.5,
    notes: [],
  },
  measured_peak_concurrency: 3,
});

/** The re-run of rank 1 into the same result_path, 60 s later: 10:01:00 → 10:01:08. */
function rerunOfRank1(startIso: string, finishIso: string, laneStart: number, laneEnd: number): CloudRunRecord {
  return record({
    id: 'run-1',
    started: startIso,
    finished: finishIso,
    executionArn: 'arn:aws:states:us-east-1:1:execution:sm:second',
    executionName: 'second',
    payload: { batch_size: 16, file_limit: 3, result_path: 'res', ranks: [{ rank: 1, files: ['data/2.pt'] }] },
    ranks: 3,
    rank_keys: ['res/0.json', 'res/1.json', 'res/2.json'],
    rank_results: [{}, {}, {}],
    total_bits: 3000,
    map_duration_seconds: 7,
    items: { ...ZERO_ITEMS, succeeded: 1, total: 1 },
    lambda: {
      invocations: 1,
      billedDurationMs: 4500,
      durationMs: 4400,
      maxMemoryUsedMb: 1200,
      coldStarts: 1,
      initDurationMs: 310,
    },
    lambda_per_rank: [usage(1, 'r1-rerun', 4500, 4400, 1200, 310)],
    lambda_missing_ranks: [],
    rank_plan: [{ rank: 1, dataPath: 'data/2.pt' }],
    ranks_without_data: [],
    ranks_missing_results: [],
    rank_timeline: {
      executionStart: startIso,
      executionSeconds: 8,
      source: 'execution-history',
      ranks: [lane(1, laneStart, laneEnd)],
      concurrency: [],
      peak: 1,
      peakAt: laneStart,
      notes: ['one note'],
    },
    measured_peak_concurrency: 1,
  });
}

describe('mergeRerunRecord', () => {
  const rerun = rerunOfRank1('2026-12-01T10:01:00.000Z', '2026-12-01T10:01:08.000Z', 2, 6.5);
  const merged = mergeRerunRecord(original, rerun);

  it('sums both executions’ REPORT totals (the failed attempt included) and takes the larger max memory', () => {
    expect(merged.lambda).toEqual({
      invocations: 4, // 3 + 1
      billedDurationMs: 14500, // 4000 + 1000 + 5000 + 4500
      durationMs: 14240.5, // 3900.5 + 950 + 4990 + 4400
      maxMemoryUsedMb: 1200, // max(1100, 1200)
      coldStarts: 3, // 2 + 1
      initDurationMs: 860, // 300 + 250 + 310
    });
  });

  it('keeps the kept ranks’ per-rank lines from the original and the re-run rank’s from the re-run', () => {
    expect(merged.lambda_per_rank?.map((x) => [x.rank, x.requestId, x.billedDurationMs, x.execution])).toEqual([
      [0, 'r0', 4000, 0],
      [1, 'r1-rerun', 4500, 1],
      [2, 'r2', 5000, 0],
    ]);
  });

  it('sums Map items and Map durations, and divides total bits by the summed duration', () => {
    expect(merged.items).toEqual({ ...ZERO_ITEMS, succeeded: 3, failed: 1, total: 4 });
    expect(merged.map_duration_seconds).toBe(16); // 9 + 7
    expect(merged.wall_throughput_bps).toBe(187.5); // 3000 / 16
  });

  it('lists both executions, keeps the original as the run’s identity and spans both in time', () => {
    expect(merged.executions?.map((e) => [e.role, e.executionName, e.ranks, e.started, e.stopped])).toEqual([
      ['original', 'first', [0, 1, 2], '2026-12-01T10:00:00.000Z', '2026-12-01T10:00:10.000Z'],
      ['rerun', 'second', [1], '2026-12-01T10:01:00.000Z', '2026-12-01T10:01:08.000Z'],
    ]);
    expect(merged.executions?.[0].lambda?.invocations).toBe(3);
    expect(merged.executions?.[1].lambda?.invocations).toBe(1);
    expect(merged.executionArn).toBe(original.executionArn);
    expect(merged.started).toBe('2026-12-01T10:00:00.000Z');
    expect(merged.finished).toBe('2026-12-01T10:01:08.000Z');
    expect(merged.status).toBe('completed');
    expect(merged.failed_ranks).toEqual([]);
    expect(merged.payload).toEqual(original.payload);
    expect(merged.ranks).toBe(3);
    expect(merged.rank_plan?.map((p) => p.rank)).toEqual([0, 1, 2]);
    expect(merged.ranks_missing_results).toEqual([]);
    expect(merged.metricDefinitions.lambda).toMatch(/ALL the run's executions/);
    expect(executionsSummary(merged)).toBe('2 executions (original + re-run of rank 1)');
    expect(executionsSummary(original)).toBeNull();
  });

  it('puts the lanes of both executions on the original’s time axis, each saying which execution', () => {
    const t = merged.rank_timeline!;
    expect(t.executionStart).toBe('2026-12-01T10:00:00.000Z');
    expect(t.ranks.map((r) => [r.rank, r.execution, r.status, r.started, r.ended])).toEqual([
      [0, 0, 'succeeded', 1, 5],
      [1, 0, 'failed', 1, 2],
      [1, 1, 'succeeded', 62, 66.5], // 60 s later: 2 + 60, 6.5 + 60
      [2, 0, 'succeeded', 1.5, 7],
    ]);
    expect(t.ranks[2].phases[0].start).toBe(62);
    expect(t.executions).toEqual([
      { label: 'original', start: 0, end: 10 },
      { label: 're-run 1', start: 60, end: 68 },
    ]);
    expect(t.executionSeconds).toBe(68);
    // Apart in time: the larger of the two peaks (3 at 1.5 s, 1).
    expect(t.peak).toBe(3);
    expect(t.peakAt).toBe(1.5);
    expect(merged.measured_peak_concurrency).toBe(3);
    expect(t.notes).toContain('re-run 1: one note');
    const table = rankTimelineTable(t);
    expect(table.rows.map((r) => r.execution)).toEqual(['original', 'original', 're-run 1', 'original']);
    expect(rankGanttSvg(t)).toContain('rank 1 · re-run 1');
  });

  it('counts overlapping executions together in the peak', () => {
    // The re-run starts 1 s after the original; its lane [0.5, 3] is [1.5, 4] on the original's axis. At 1.5 s
    // ranks 0 [1,5), 1 [1,2), 2 [1.5,7) and the re-run [1.5,4) all run: 4.
    const early = mergeRerunRecord(
      original,
      rerunOfRank1('2026-12-01T10:00:01.000Z', '2026-12-01T10:00:09.000Z', 0.5, 3),
    );
    expect(early.rank_timeline?.peak).toBe(4);
    expect(early.rank_timeline?.peakAt).toBe(1.5);
  });

  it('a re-run of a re-run merges again: three executions', () => {
    const failedAgain = mergeRerunRecord(original, {
      ...rerunOfRank1('2026-12-01T10:01:00.000Z', '2026-12-01T10:01:08.000Z', 2, 6.5),
      status: 'failed',
      failed_ranks: [failedRank1],
      rank_keys: ['res/0.json', 'res/2.json'],
    });
    expect(failedAgain.status).toBe('failed');
    expect(failedAgain.failed_ranks).toHaveLength(1);
    const third = record({
      started: '2026-12-01T10:02:00.000Z',
      finished: '2026-12-01T10:02:05.000Z',
      executionArn: 'arn:aws:states:us-east-1:1:execution:sm:third',
      executionName: 'third',
      ranks: 3,
      rank_keys: ['res/0.json', 'res/1.json', 'res/2.json'],
      total_bits: 3000,
      map_duration_seconds: 4,
      items: { ...ZERO_ITEMS, succeeded: 1, total: 1 },
      lambda: {
        invocations: 1,
        billedDurationMs: 3000,
        durationMs: 2999,
        maxMemoryUsedMb: 800,
        coldStarts: 0,
        initDurationMs: 0,
      },
      lambda_per_rank: [usage(1, 'r1-third', 3000, 2999, 800)],
      rank_plan: [{ rank: 1, dataPath: 'data/2.pt' }],
      rank_timeline: {
        executionStart: '2026-12-01T10:02:00.000Z',
        executionSeconds: 5,
        source: 'execution-history',
        ranks: [lane(1, 1, 4)],
        concurrency: [],
        peak: 1,
        peakAt: 1,
        notes: [],
      },
    });
    const all = mergeRerunRecord(failedAgain, third);
    expect(all.executions?.map((e) => [e.role, e.executionName])).toEqual([
      ['original', 'first'],
      ['rerun', 'second'],
      ['rerun', 'third'],
    ]);
    expect(all.lambda?.invocations).toBe(5); // 3 + 1 + 1
    expect(all.lambda?.billedDurationMs).toBe(17500); // 10000 + 4500 + 3000
    expect(all.lambda?.maxMemoryUsedMb).toBe(1200);
    expect(all.items?.total).toBe(5); // 3 + 1 + 1
    expect(all.map_duration_seconds).toBe(20); // 9 + 7 + 4
    expect(all.lambda_per_rank?.map((x) => [x.rank, x.requestId, x.execution])).toEqual([
      [0, 'r0', 0],
      [1, 'r1-third', 2],
      [2, 'r2', 0],
    ]);
    expect(all.rank_timeline?.ranks.filter((r) => r.rank === 1).map((r) => [r.execution, r.started])).toEqual([
      [0, 1],
      [1, 62],
      [2, 121], // 120 s after the original's start
    ]);
    expect(all.rank_timeline?.executions?.map((e) => e.label)).toEqual(['original', 're-run 1', 're-run 2']);
    expect(all.status).toBe('completed');
    expect(all.finished).toBe('2026-12-01T10:02:05.000Z');
    expect(all.executionArn).toBe(original.executionArn);
    expect(executionsSummary(all)).toBe('3 executions (original + re-run of rank 1 + re-run of rank 1)');
  });

  it('has no Lambda total when any execution’s REPORT lines are unknown (a part would under-state the cost)', () => {
    expect(mergeRerunRecord({ ...original, lambda: null }, rerun).lambda).toBeNull();
  });

  it('refuses a re-run that wrote elsewhere', () => {
    expect(() => mergeRerunRecord(original, { ...rerun, result_path: 'other' })).toThrow(/wrote to "other"/);
  });
});

describe('attributeReports with a time window', () => {
  const line = (stream: string, timestamp: number, message: string): LogLine => ({
    eventId: `${stream}-${timestamp}`,
    timestamp,
    logStream: stream,
    message,
  });
  const invocation = (stream: string, at: number, id: string, billed: number) => [
    line(stream, at, `START RequestId: ${id} Version: $LATEST`),
    line(stream, at + 1, `received: {"rank": 1, "result_path": "res"}`),
    line(
      stream,
      at + 2,
      `REPORT RequestId: ${id}\tDuration: ${billed} ms\tBilled Duration: ${billed} ms\tMemory Size: 2048 MB\t` +
        'Max Memory Used: 100 MB',
    ),
  ];
  // The failed attempt (before the re-run started at 1000) and the re-run, in two streams listed re-run first.
  const lines = [...invocation('s2', 2000, 'b', 700), ...invocation('s1', 100, 'a', 300)];

  it('gives the re-run its own line, and the earlier execution the line from before the re-run', () => {
    expect(attributeReports(lines, 'res', [1], { from: 1000 }).perRank.map((x) => x.requestId)).toEqual(['b']);
    expect(attributeReports(lines, 'res', [1], { from: 0, until: () => 1000 }).perRank.map((x) => x.requestId)).toEqual(
      ['a'],
    );
    // Without a window, the later invocation of the rank (by time), whatever the order of the streams.
    expect(attributeReports(lines, 'res', [1]).perRank.map((x) => x.requestId)).toEqual(['b']);
  });
});
