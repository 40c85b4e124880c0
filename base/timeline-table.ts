import { MEASURED_CONCURRENCY_DEFINITION, RankTimelineSchema, type RankTimeline } from './rank-timeline.ts';
import type { Table } from './table.ts';

/**
 * The rank timeline as a table (one row per rank: start, phases, end, in s from the execution's start; an absent
 * phase is an empty cell, shown "—") and the measured peak in words. Shared by the run's page and the CLI.
 */

export function rankTimelineTable(t: RankTimeline): Table {
  const phase = (r: RankTimeline['ranks'][number], p: string) => r.phases.find((x) => x.phase === p)?.seconds ?? null;
  // Several executions (failed ranks re-run): each lane says which one it is from.
  const execs = t.executions?.length ? t.executions : null;
  return {
    title: 'Rank timeline',
    columns: [
      { key: 'rank', label: 'Rank' },
      ...(execs ? [{ key: 'execution', label: 'Execution' }] : []),
      { key: 'status', label: 'Status' },
      { key: 'submitted', label: 'Submitted', unit: 's', digits: 3 },
      { key: 'start', label: 'Start', unit: 's', digits: 3 },
      { key: 'init', label: 'Init', unit: 's', digits: 3 },
      { key: 'load', label: 'Load', unit: 's', digits: 3 },
      { key: 'inference', label: 'Inference', unit: 's', digits: 3 },
      { key: 'other', label: 'Other', unit: 's', digits: 3 },
      { key: 'end', label: 'End', unit: 's', digits: 3 },
    ],
    rows: t.ranks.map((r) => ({
      rank: r.rank ?? (r.index !== null ? `#${r.index}` : null),
      ...(execs ? { execution: r.execution !== undefined ? (execs[r.execution]?.label ?? null) : null } : {}),
      status: r.status + (r.attempts > 1 ? ` (${r.attempts} attempts)` : ''),
      submitted: r.submitted,
      start: r.started,
      init: phase(r, 'init'),
      load: phase(r, 'load'),
      inference: phase(r, 'inference'),
      other: phase(r, 'other'),
      end: r.ended,
    })),
    note: [
      (execs
        ? `Times in s from the original execution's start (ExecutionStarted); ${execs.length} executions.`
        : 'Times in s from the execution start (ExecutionStarted).') +
        ' Empty = not known for that rank (the reason is in ' +
        "the record's rank_timeline.ranks[].absent).",
      "Init: REPORT Init Duration (0 = warm start). Load: the worker's load_seconds (+ model load). Inference: the " +
        "rank JSON's execution_time × num_batches (wall). Other: the rest of TaskStarted → iteration end.",
      ...t.notes,
    ].join(' '),
  };
}

/** "Measured peak concurrency: 3 of 6 ranks at once, first at 1.25 s", or why there is none. */
export function measuredPeakText(record: {
  ranks?: unknown;
  rank_timeline?: unknown;
  rank_plan?: unknown;
  rank_timeline_missing?: unknown;
}): string {
  const parsed = RankTimelineSchema.safeParse(record.rank_timeline);
  if (!parsed.success)
    return `No rank timeline: ${
      typeof record.rank_timeline_missing === 'string'
        ? record.rank_timeline_missing
        : 'this run was recorded before rank timelines existed'
    }.`;
  const t = parsed.data;
  const ranks = Array.isArray(record.rank_plan) ? record.rank_plan.length : t.ranks.length;
  return (
    `Measured peak concurrency: ${t.peak} of ${ranks} rank(s) running at once` +
    (t.peakAt !== null ? `, first at ${Number(t.peakAt.toFixed(3))} s` : '') +
    '.'
  );
}

export { MEASURED_CONCURRENCY_DEFINITION };
