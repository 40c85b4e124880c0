/**
 * The rank timeline's pure parts with hand-computed intervals: the sweep line (overlaps, touching ends, zero-length
 * intervals), the phases of a rank (cold, warm, no REPORT line, failed, the study's pipeline), inline Map histories.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { RankTimelineSchema, sweepConcurrency } from '../../base/rank-timeline.ts';
import type { ReportLine } from '../../cloud/logs.ts';
import { buildRankTimeline, iterationsFromHistory, type IterationTrace } from '../../cloud/rank-timeline.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);
/** Phases as [name, seconds] rounded to the millisecond. */
const lengths = (ps: Array<{ phase: string; seconds: number }>) =>
  ps.map((p) => [p.phase, Math.round(p.seconds * 1000) / 1000]);

describe('sweepConcurrency', () => {
  it('counts overlaps: [0,4) [1,3) [2,6) peak 3 at t=2, back to 0 at 6', () => {
    const r = sweepConcurrency([
      { start: 0, end: 4 },
      { start: 1, end: 3 },
      { start: 2, end: 6 },
    ]);
    expect(r.steps).toEqual([
      { t: 0, running: 1 },
      { t: 1, running: 2 },
      { t: 2, running: 3 },
      { t: 3, running: 2 },
      { t: 4, running: 1 },
      { t: 6, running: 0 },
    ]);
    expect(r).toMatchObject({ peak: 3, peakAt: 2 });
  });

  it('touching ends do not overlap: [0,2) [2,4) [4,5) is a peak of 1 with no dip between', () => {
    const r = sweepConcurrency([
      { start: 2, end: 4 },
      { start: 0, end: 2 },
      { start: 4, end: 5 },
    ]);
    expect(r.steps).toEqual([
      { t: 0, running: 1 },
      { t: 5, running: 0 },
    ]);
    expect(r).toMatchObject({ peak: 1, peakAt: 0 });
  });

  it('the first time the peak is reached, not the last; zero-length and empty input count nothing', () => {
    const r = sweepConcurrency([
      { start: 0, end: 1 },
      { start: 0.5, end: 1 },
      { start: 3, end: 5 },
      { start: 3, end: 4 },
      { start: 7, end: 7 },
    ]);
    expect(r).toMatchObject({ peak: 2, peakAt: 0.5 });
    expect(sweepConcurrency([])).toEqual({ steps: [], peak: 0, peakAt: null });
    expect(sweepConcurrency([{ start: 2, end: 2 }])).toEqual({ steps: [], peak: 0, peakAt: null });
  });
});

/** A Distributed Map child execution's history, as GetExecutionHistory gives it. */
function child(
  rank: number,
  times: { submitted: number; started: number; ended: number },
  end: 'ok' | 'fail',
  output?: unknown,
): IterationTrace {
  const ev: HistoryEvent[] = [
    {
      id: 1,
      type: 'ExecutionStarted',
      timestamp: at(times.submitted),
      executionStartedEventDetails: { input: JSON.stringify({ rank, files: [`d/${rank + 1}.pt`] }) },
    },
    { id: 2, previousEventId: 1, type: 'TaskStateEntered', timestamp: at(times.submitted) },
    { id: 3, previousEventId: 2, type: 'TaskScheduled', timestamp: at(times.submitted) },
    { id: 4, previousEventId: 3, type: 'TaskStarted', timestamp: at(times.started) },
  ];
  if (end === 'ok')
    ev.push(
      {
        id: 5,
        previousEventId: 4,
        type: 'TaskSucceeded',
        timestamp: at(times.ended),
        taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: JSON.stringify(output) },
      },
      { id: 6, previousEventId: 5, type: 'ExecutionSucceeded', timestamp: at(times.ended) },
    );
  else
    ev.push(
      {
        id: 5,
        previousEventId: 4,
        type: 'TaskFailed',
        timestamp: at(times.ended),
        taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'ScriptError', cause: 'boom' },
      },
      { id: 6, previousEventId: 5, type: 'ExecutionFailed', timestamp: at(times.ended) },
    );
  return { index: null, events: ev };
}

const report = (initMs?: number): ReportLine => ({
  requestId: 'r',
  durationMs: 1000,
  billedDurationMs: 1000,
  memorySizeMb: 2048,
  maxMemoryUsedMb: 500,
  ...(initMs !== undefined ? { initDurationMs: initMs } : {}),
});
const result = (perBatch: number, batches: number) => ({
  'execution_time (seconds/batch)': perBatch,
  num_batches: batches,
});
const invoke = (payload: Record<string, unknown>) => ({
  ExecutedVersion: '$LATEST',
  StatusCode: 200,
  Payload: payload,
});

describe('buildRankTimeline (our stack)', () => {
  const timeline = buildRankTimeline({
    executionStart: at(0),
    executionEnd: at(12),
    source: 'child-executions',
    target: 'cosmicai',
    iterations: [
      // rank 0: cold. init 0.5 (REPORT), load 1.0 + model 0.25, inference 0.1 × 20 = 2.0 → other = 5 − 3.75 = 1.25
      child(
        0,
        { submitted: 1, started: 1.5, ended: 6.5 },
        'ok',
        invoke({ rank: 0, load_seconds: 1, init_duration_ms: 250 }),
      ),
      // rank 1: warm (REPORT without Init Duration), load 0.5, inference 0.2 × 10 = 2 → other = 4 − 2.5 = 1.5
      child(
        1,
        { submitted: 1, started: 2, ended: 6 },
        'ok',
        invoke({ rank: 1, load_seconds: 0.5, init_duration_ms: null }),
      ),
      // rank 2: failed, no REPORT line, no output: only "other" over its interval
      child(2, { submitted: 1, started: 6.5, ended: 8 }, 'fail'),
      // rank 3: no REPORT line; emulator-style model load already stated as Init Duration does not apply
      child(
        3,
        { submitted: 8, started: 8, ended: 11 },
        'ok',
        invoke({ rank: 3, load_seconds: 1, init_duration_ms: 400 }),
      ),
    ],
    reports: new Map([
      [0, report(500)],
      [1, report()],
    ]),
    results: new Map([
      [0, result(0.1, 20)],
      [1, result(0.2, 10)],
      [3, result(0.5, 2)],
    ]),
  });

  it('is a valid timeline with one entry per rank, times from the execution start', () => {
    expect(RankTimelineSchema.safeParse(timeline).error).toBeUndefined();
    expect(timeline.ranks.map((r) => [r.rank, r.status, r.submitted, r.started, r.ended, r.attempts])).toEqual([
      [0, 'succeeded', 1, 1.5, 6.5, 1],
      [1, 'succeeded', 1, 2, 6, 1],
      [2, 'failed', 1, 6.5, 8, 1],
      [3, 'succeeded', 8, 8, 11, 1],
    ]);
    expect(timeline.executionSeconds).toBe(12);
  });

  it('a cold rank: init from REPORT, load = partitions + model, inference from the rank JSON, other = rest', () => {
    const r0 = timeline.ranks[0];
    expect(r0.phases.map((p) => [p.phase, p.start, p.seconds])).toEqual([
      ['init', 1.5, 0.5],
      ['load', 2, 1.25],
      ['inference', 3.25, 2],
      ['other', 5.25, 1.25],
    ]);
    expect(r0.phases[0].source).toMatch(/REPORT.*Init Duration/);
    expect(r0.absent).toEqual([]);
  });

  it('a warm rank has init 0 s from its REPORT line', () => {
    const r1 = timeline.ranks[1];
    expect(r1.phases.map((p) => [p.phase, p.seconds])).toEqual([
      ['init', 0],
      ['load', 0.5],
      ['inference', 2],
      ['other', 1.5],
    ]);
    expect(r1.phases[0].source).toMatch(/warm/);
  });

  it('a failed rank without REPORT line or output: init, load and inference absent with reasons', () => {
    const r2 = timeline.ranks[2];
    expect(r2.phases.map((p) => [p.phase, p.start, p.seconds])).toEqual([['other', 6.5, 1.5]]);
    expect(Object.fromEntries(r2.absent.map((a) => [a.phase, a.reason]))).toEqual({
      init: 'no REPORT line was attributed to this rank',
      load: 'the rank returned no output',
      inference: 'no rank result JSON with execution_time and num_batches',
    });
  });

  it('a rank without REPORT line keeps its measured load (model included) and inference', () => {
    const r3 = timeline.ranks[3];
    expect(lengths(r3.phases)).toEqual([
      ['load', 1.4],
      ['inference', 1],
      ['other', 0.6],
    ]);
    expect(r3.absent.map((a) => a.phase)).toEqual(['init']);
  });

  it('measured concurrency: [1.5,6.5) [2,6) [6.5,8) [8,11) → peak 2 at t=2', () => {
    expect(timeline.concurrency).toEqual([
      { t: 1.5, running: 1 },
      { t: 2, running: 2 },
      { t: 6, running: 1 },
      { t: 11, running: 0 },
    ]);
    expect(timeline).toMatchObject({ peak: 2, peakAt: 2 });
  });
});

describe('buildRankTimeline (the study pipeline)', () => {
  it('the emulator-style model load stated as Init Duration is counted once; the study has no load/inference', () => {
    const t = buildRankTimeline({
      executionStart: at(0),
      executionEnd: null,
      source: 'child-executions',
      target: 'cai',
      iterations: [
        {
          index: null,
          events: [
            {
              id: 1,
              type: 'ExecutionStarted',
              timestamp: at(0.5),
              executionStartedEventDetails: { input: JSON.stringify({ RANK: '4', DATA_PATH: 'x/5.pt' }) },
            },
            { id: 2, previousEventId: 1, type: 'TaskStarted', timestamp: at(1) },
            { id: 3, previousEventId: 2, type: 'ExecutionSucceeded', timestamp: at(4) },
          ],
        },
      ],
      reports: new Map([[4, report(700)]]),
      results: new Map([[4, { 'total_cpu_time (seconds)': 9, 'execution_time (seconds/batch)': 3, num_batches: 3 }]]),
    });
    const r = t.ranks[0];
    expect(r.rank).toBe(4);
    expect(r.phases.map((p) => [p.phase, p.seconds])).toEqual([
      ['init', 0.7],
      ['other', 2.3],
    ]);
    expect(r.absent.map((a) => a.phase)).toEqual(['load', 'inference']);
    expect(r.absent[1].reason).toMatch(/profiler/);
    expect(t.executionSeconds).toBe(4);
    expect(t).toMatchObject({ peak: 1, peakAt: 1 });
  });

  it("our worker's model load equal to the REPORT Init Duration is not counted twice", () => {
    const t = buildRankTimeline({
      executionStart: at(0),
      executionEnd: at(5),
      source: 'child-executions',
      target: 'cosmicai',
      iterations: [
        child(
          0,
          { submitted: 0, started: 0, ended: 5 },
          'ok',
          invoke({ rank: 0, load_seconds: 1, init_duration_ms: 1234.5 }),
        ),
      ],
      reports: new Map([[0, report(1234.5)]]),
      results: new Map([[0, result(1, 2)]]),
    });
    expect(lengths(t.ranks[0].phases)).toEqual([
      ['init', 1.235],
      ['load', 1],
      ['inference', 2],
      ['other', 0.766],
    ]);
  });
});

describe('iterationsFromHistory (inline Map)', () => {
  it("groups each iteration's events by the previousEventId chain back to its MapIterationStarted", () => {
    const ev = (
      id: number,
      prev: number,
      type: string,
      s: number,
      extra: Partial<HistoryEvent> = {},
    ): HistoryEvent => ({
      id,
      previousEventId: prev,
      type: type as HistoryEvent['type'],
      timestamp: at(s),
      ...extra,
    });
    const events: HistoryEvent[] = [
      ev(1, 0, 'ExecutionStarted', 0),
      ev(2, 1, 'MapStateEntered', 0.1),
      ev(3, 2, 'MapIterationStarted', 0.2, { mapIterationStartedEventDetails: { name: 'M', index: 0 } }),
      ev(4, 2, 'MapIterationStarted', 0.2, { mapIterationStartedEventDetails: { name: 'M', index: 1 } }),
      ev(5, 3, 'TaskStateEntered', 0.2, { stateEnteredEventDetails: { name: 'T', input: '{"rank":0}' } }),
      ev(6, 4, 'TaskStateEntered', 0.2, { stateEnteredEventDetails: { name: 'T', input: '{"rank":1}' } }),
      ev(7, 5, 'TaskStarted', 0.3),
      ev(8, 6, 'TaskStarted', 0.4),
      ev(9, 8, 'TaskSucceeded', 1),
      ev(10, 7, 'TaskFailed', 2),
      ev(11, 9, 'MapIterationSucceeded', 1, { mapIterationSucceededEventDetails: { name: 'M', index: 1 } }),
      ev(12, 10, 'MapIterationFailed', 2, { mapIterationFailedEventDetails: { name: 'M', index: 0 } }),
      ev(13, 12, 'MapStateExited', 2),
    ];
    const its = iterationsFromHistory(events);
    expect(its.map((i) => [i.index, i.events.map((e) => e.id)])).toEqual([
      [0, [3, 5, 7, 10, 12]],
      [1, [4, 6, 8, 9, 11]],
    ]);
    const t = buildRankTimeline({
      executionStart: at(0),
      executionEnd: at(2),
      source: 'execution-history',
      target: 'cosmicai',
      iterations: its,
      reports: new Map(),
      results: new Map(),
    });
    expect(t.ranks.map((r) => [r.rank, r.index, r.status, r.submitted, r.started, r.ended])).toEqual([
      [0, 0, 'failed', 0.2, 0.3, 2],
      [1, 1, 'succeeded', 0.2, 0.4, 1],
    ]);
    expect(t).toMatchObject({ peak: 2, peakAt: 0.4 });
  });
});
