/**
 * The rank timeline's views: the Gantt SVG (one bar per rank, phases coloured, legend, time axis), the concurrency
 * step chart with its peak, the per-rank table and the CLI text.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { ReportLine } from '../../cloud/logs.ts';
import { buildRankTimeline, type IterationTrace } from '../../cloud/rank-timeline.ts';
import { concurrencySvg, PHASE_COLORS, rankGanttSvg } from '../../base/timeline-svg.ts';
import { measuredPeakText, rankTimelineTable } from '../../base/timeline-table.ts';
import { rankTimelineText } from '../../app/cli/timeline-text.ts';
import { historyShowText } from '../../app/cli/history-commands.ts';
import type { RunEntry } from '../../app/common/contract/index.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000);

function child(rank: number, started: number, ended: number, ok: boolean): IterationTrace {
  const events: HistoryEvent[] = [
    {
      id: 1,
      type: 'ExecutionStarted',
      timestamp: at(0),
      executionStartedEventDetails: { input: JSON.stringify({ rank }) },
    },
    { id: 2, type: 'TaskStarted', timestamp: at(started) },
    ok
      ? {
          id: 3,
          type: 'TaskSucceeded',
          timestamp: at(ended),
          taskSucceededEventDetails: {
            resourceType: 'lambda',
            resource: 'invoke',
            output: JSON.stringify({ Payload: { rank, load_seconds: 1, init_duration_ms: null } }),
          },
        }
      : { id: 3, type: 'TaskFailed', timestamp: at(ended) },
    { id: 4, type: ok ? 'ExecutionSucceeded' : 'ExecutionFailed', timestamp: at(ended) },
  ];
  return { index: null, events };
}

const report: ReportLine = {
  requestId: 'x',
  durationMs: 1,
  billedDurationMs: 1,
  memorySizeMb: 1,
  maxMemoryUsedMb: 1,
  initDurationMs: 2000,
};

// Ranks 0–2 over [0,10) [2,6) [4,8): peak 3 at t=4; rank 3 fails over [8,10).
const timeline = buildRankTimeline({
  executionStart: at(0),
  executionEnd: at(10),
  source: 'child-executions',
  target: 'cosmicai',
  iterations: [child(0, 0, 10, true), child(1, 2, 6, true), child(2, 4, 8, true), child(3, 8, 10, false)],
  reports: new Map([[0, report]]),
  results: new Map([[0, { 'execution_time (seconds/batch)': 0.5, num_batches: 8 }]]),
});

describe('rankGanttSvg', () => {
  const svg = rankGanttSvg(timeline, { width: 820 });
  it('draws one bar group per rank, marks the failed one, with a legend of the four phases', () => {
    expect(svg.match(/data-rank-bar="/g)).toHaveLength(4);
    expect(svg).toContain('data-rank-bar="3" data-status="failed"');
    for (const label of ['Init (cold start)', 'Download/load', 'Inference', 'Other']) expect(svg).toContain(label);
    expect(svg).toContain('Time from execution start (s)');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  });

  it("draws each phase at its time: rank 0's init 2 s, load 1 s, inference 4 s, other 3 s over 0–10 s", () => {
    // Axis 0..10 s over x 70..800 (820 − 20): 73 px per s.
    const rects = [
      ...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="\d+" fill="(#\w+)" data-phase="(\w+)"/g),
    ];
    const rank0 = rects.slice(0, 4).map((m) => [m[4], Number(m[1]), Number(m[2]), m[3]]);
    expect(rank0).toEqual([
      ['init', 70, 146, PHASE_COLORS.init],
      ['load', 216, 73, PHASE_COLORS.load],
      ['inference', 289, 292, PHASE_COLORS.inference],
      ['other', 581, 219, PHASE_COLORS.other],
    ]);
  });
});

describe('concurrencySvg', () => {
  it('steps through the measured counts and marks the peak', () => {
    const svg = concurrencySvg(timeline);
    expect(timeline).toMatchObject({ peak: 3, peakAt: 4 });
    expect(svg).toContain('data-peak="3" data-peak-at="4"');
    expect(svg).toContain('peak 3 at 4 s');
    expect(svg).toContain('Ranks running');
  });
});

describe('the per-rank table and the CLI text', () => {
  it('one row per rank; unknown phases empty (— in text)', () => {
    const t = rankTimelineTable(timeline);
    expect(t.rows.map((r) => [r.rank, r.status, r.start, r.init, r.load, r.inference, r.other, r.end])).toEqual([
      [0, 'succeeded', 0, 2, 1, 4, 3, 10],
      [1, 'succeeded', 2, null, 1, null, 3, 6],
      [2, 'succeeded', 4, null, 1, null, 3, 8],
      [3, 'failed', 8, null, null, null, 2, 10],
    ]);
    const text = rankTimelineText({ rank_timeline: timeline, rank_plan: [{}, {}, {}, {}, {}] });
    expect(text.split('\n')[0]).toBe('Measured peak concurrency: 3 of 5 rank(s) running at once, first at 4 s.');
    expect(text).toMatch(/Rank\s+Status\s+Submitted \(s\)\s+Start \(s\)\s+Init \(s\)\s+Load \(s\)\s+Inference \(s\)/);
    expect(text).toMatch(/\n\s*3\s+failed\s+0\.000\s+8\.000\s+—\s+—\s+—\s+2\.000\s+10\.000\n/);
  });

  it('a record without a timeline says why', () => {
    expect(measuredPeakText({})).toBe('No rank timeline: this run was recorded before rank timelines existed.');
    expect(measuredPeakText({ rank_timeline_missing: 'the execution history could not be read' })).toBe(
      'No rank timeline: the execution history could not be read.',
    );
  });

  it('cosmicai history show prints the timeline of a cloud run', () => {
    const entry = {
      id: 'run-1',
      name: 'Cloud · p',
      kind: 'cloud',
      status: 'completed',
      createdAt: '2026-01-01T00:00:00Z',
      finishedAt: null,
      params: {},
      headline: {},
      error: null,
      record: { kind: 'cloud', rank_timeline: timeline },
    } as unknown as RunEntry;
    const text = historyShowText(entry, []);
    expect(text).toContain('Measured peak concurrency: 3 of 4 rank(s) running at once, first at 4 s.');
    expect(text).toMatch(/\n\s*0\s+succeeded\s+0\.000\s+0\.000\s+2\.000\s+1\.000\s+4\.000\s+3\.000\s+10\.000\n/);
  });
});
