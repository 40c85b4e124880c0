import { z } from 'zod';

/**
 * The rank timeline of one cloud run (issue #20): per rank (Map iteration) when it was submitted, started and ended,
 * its phases (init, download/load, inference, other), each with where its length came from, and the concurrency
 * measured over time by a sweep line over the ranks' running intervals. Times are seconds from the execution's
 * start (its ExecutionStarted event). Built in cloud/rank-timeline.ts; stored in the cloud run record.
 */

export const TIMELINE_PHASES = ['init', 'load', 'inference', 'other'] as const;
export type TimelinePhaseName = (typeof TIMELINE_PHASES)[number];

export const PHASE_LABELS: Record<TimelinePhaseName, string> = {
  init: 'Init (cold start)',
  load: 'Download/load',
  inference: 'Inference',
  other: 'Other',
};

export const TimelinePhaseSchema = z.object({
  phase: z.enum(TIMELINE_PHASES),
  /** Seconds from the execution's start. */
  start: z.number(),
  seconds: z.number().nonnegative(),
  /** Where the length comes from, e.g. "REPORT Init Duration". */
  source: z.string(),
});
export type TimelinePhase = z.infer<typeof TimelinePhaseSchema>;

export const RankTimelineEntrySchema = z.object({
  /** The rank from the item's input (RANK / rank); null when the input did not say. */
  rank: z.number().nullable(),
  /** The Map iteration index, when known (inline Map histories give it; Distributed Map children do not). */
  index: z.number().nullable(),
  status: z.enum(['succeeded', 'failed', 'aborted', 'running']),
  /** MapIterationStarted, or the child execution's ExecutionStarted: when the Map handed the item out. */
  submitted: z.number().nullable(),
  /** The first TaskStarted / LambdaFunctionStarted: when the invocation started. */
  started: z.number().nullable(),
  /** The iteration's (or child execution's) end event. */
  ended: z.number().nullable(),
  /** Task attempts (TaskStarted events): more than 1 when the state's Retry ran. */
  attempts: z.number(),
  /** Known phases, in order from `started` (their lengths are measured; their order within the bar is assumed). */
  phases: z.array(TimelinePhaseSchema),
  /** Phases that cannot be known for this rank, and why (they are absent, not invented). */
  absent: z.array(z.object({ phase: z.enum(TIMELINE_PHASES), reason: z.string() })),
  /**
   * A run with several executions (failed ranks re-run): the index in the record's `executions` of the one this lane
   * is from (0 = the original). Times are then all from the original execution's start.
   */
  execution: z.number().int().nonnegative().optional(),
});
export type RankTimelineEntry = z.infer<typeof RankTimelineEntrySchema>;

export const ConcurrencyStepSchema = z.object({ t: z.number(), running: z.number() });
export type ConcurrencyStep = z.infer<typeof ConcurrencyStepSchema>;

export const RankTimelineSchema = z.object({
  /** ISO time of ExecutionStarted: t = 0. */
  executionStart: z.string(),
  /** Seconds from the start to the execution's end (or the last rank's end when it has not ended). */
  executionSeconds: z.number().nullable(),
  /** Where the iterations were read: the Distributed Map's child executions, or the execution's own history. */
  source: z.enum(['child-executions', 'execution-history']),
  ranks: z.array(RankTimelineEntrySchema),
  /** Ranks running after each change (step function), from the sweep line over [started, ended). */
  concurrency: z.array(ConcurrencyStepSchema),
  peak: z.number(),
  /** The first time the peak was reached, s; null when no rank has an interval. */
  peakAt: z.number().nullable(),
  notes: z.array(z.string()),
  /**
   * A run with several executions (failed ranks re-run): each execution's label ("original", "re-run 1", …) and span
   * in s on this timeline's axis; a lane's `execution` indexes this list.
   */
  executions: z.array(z.object({ label: z.string(), start: z.number(), end: z.number().nullable() })).optional(),
});
export type RankTimeline = z.infer<typeof RankTimelineSchema>;

export const MEASURED_CONCURRENCY_DEFINITION =
  'Measured concurrency = the number of ranks whose invocation was running at a time t: a rank runs over ' +
  '[started, ended), from its first TaskStarted to its iteration end in the Step Functions execution history. ' +
  'The peak is the largest such number over the run (a rank ending at t and another starting at t do not overlap).';

export interface Interval {
  start: number;
  end: number;
}

/**
 * Sweep line over half-open intervals [start, end): the running count after every change, its peak and the first
 * time it was reached. At equal times ends are taken before starts, so touching intervals do not overlap; an interval
 * of zero (or negative) length occupies no time and is not counted.
 */
export function sweepConcurrency(intervals: Interval[]): {
  steps: ConcurrencyStep[];
  peak: number;
  peakAt: number | null;
} {
  const events: Array<{ t: number; d: 1 | -1 }> = [];
  for (const i of intervals) {
    if (!Number.isFinite(i.start) || !Number.isFinite(i.end) || i.end <= i.start) continue;
    events.push({ t: i.start, d: 1 }, { t: i.end, d: -1 });
  }
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  const steps: ConcurrencyStep[] = [];
  let running = 0;
  let peak = 0;
  let peakAt: number | null = null;
  for (let k = 0; k < events.length;) {
    const t = events[k].t;
    while (k < events.length && events[k].t === t) running += events[k++].d;
    if (steps.length && steps[steps.length - 1].running === running) continue;
    steps.push({ t, running });
    if (running > peak) {
      peak = running;
      peakAt = t;
    }
  }
  return { steps, peak, peakAt };
}
