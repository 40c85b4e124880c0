import type { HistoryEvent } from '@aws-sdk/client-sfn';
import {
  RankTimelineSchema,
  sweepConcurrency,
  type RankTimeline,
  type RankTimelineEntry,
  type TimelinePhase,
  type TimelinePhaseName,
} from '../base/rank-timeline.ts';
import { EXECUTION_TIME } from '../base/metric-keys.ts';
import type { ReportLine } from './logs.ts';
import type { PipelineTarget } from './pipeline-target.ts';

/**
 * Pure: the rank timeline (base/rank-timeline.ts) from what cloud/rank-timeline-read.ts gathers — each Map
 * iteration's events (a Distributed Map child execution's history, or an inline Map's iteration events from the
 * execution's own history), the REPORT line attributed to each rank (cloud/report-attribution.ts) and each rank's
 * result JSON. Phases, laid out in this order from the rank's TaskStarted:
 * - init: the REPORT line's Init Duration (cold start; a REPORT line without it is a warm start, 0 s);
 * - load: our worker's output `load_seconds` (partition download + parse + batch reads) plus its `init_duration_ms`
 *   (model download + session creation) unless the REPORT line already states that very value as Init Duration
 *   (our emulator does) — the study's executor reports no such time;
 * - inference: our rank JSON's `execution_time (seconds/batch)` × `num_batches` (wall time, first batch start to
 *   last batch end) — the study's rank JSON holds the torch profiler's operator CPU sum, which is not wall time;
 * - other: the rest of [TaskStarted, iteration end]: Step Functions and Lambda overhead, retries, and whatever the
 *   worker does outside the phases above.
 */

/** One Map iteration's events: its own, in order (ids need not be unique across iterations). */
export interface IterationTrace {
  index: number | null;
  events: HistoryEvent[];
}

export interface TimelineInputs {
  /** t = 0: the execution's ExecutionStarted. */
  executionStart: Date;
  executionEnd: Date | null;
  source: RankTimeline['source'];
  iterations: IterationTrace[];
  target: PipelineTarget;
  /** The REPORT line attributed to each rank (the last invocation of a retried rank). */
  reports: Map<number, ReportLine>;
  /** Each rank's result JSON, raw. */
  results: Map<number, Record<string, unknown>>;
  notes?: string[];
}

const START = new Set(['MapIterationStarted', 'ExecutionStarted']);
const END: Record<string, RankTimelineEntry['status']> = {
  MapIterationSucceeded: 'succeeded',
  MapIterationFailed: 'failed',
  MapIterationAborted: 'aborted',
  ExecutionSucceeded: 'succeeded',
  ExecutionFailed: 'failed',
  ExecutionTimedOut: 'failed',
  ExecutionAborted: 'aborted',
};
const TASK_START = new Set(['TaskStarted', 'LambdaFunctionStarted', 'ActivityStarted']);
const TASK_OK = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded', 'ActivitySucceeded']);
const TASK_END = new Set([
  ...TASK_OK,
  'TaskFailed',
  'TaskTimedOut',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'ActivityFailed',
  'ActivityTimedOut',
]);

function parse(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** The item a rank was given: the child's ExecutionStarted input, or the first state's input in the iteration. */
function itemOf(events: HistoryEvent[]): Record<string, unknown> | null {
  for (const e of events) {
    const text = e.executionStartedEventDetails?.input ?? e.stateEnteredEventDetails?.input;
    const v = obj(parse(text));
    if (v) return obj(v.Payload) ?? v;
  }
  return null;
}

function rankOf(item: Record<string, unknown> | null, output: Record<string, unknown> | null): number | null {
  for (const v of [item?.RANK, item?.rank, output?.rank]) {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n)) return n;
  }
  return null;
}

/** The worker's return value from the last successful task event (`Payload` of a lambda:invoke, or as is). */
function outputOf(events: HistoryEvent[]): Record<string, unknown> | null {
  const ok = events.findLast((e) => TASK_OK.has(e.type ?? ''));
  const d =
    ok?.taskSucceededEventDetails ?? ok?.lambdaFunctionSucceededEventDetails ?? ok?.activitySucceededEventDetails;
  const v = obj(parse(d?.output));
  return v ? (obj(v.Payload) ?? v) : null;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

interface Known {
  phase: TimelinePhaseName;
  seconds: number;
  source: string;
}

/** The phases' lengths for one rank, or why each is absent. */
export function phaseLengths(
  target: PipelineTarget,
  status: RankTimelineEntry['status'],
  report: ReportLine | undefined,
  output: Record<string, unknown> | null,
  result: Record<string, unknown> | undefined,
): { known: Known[]; absent: RankTimelineEntry['absent'] } {
  const known: Known[] = [];
  const absent: RankTimelineEntry['absent'] = [];
  if (report)
    known.push(
      report.initDurationMs !== undefined
        ? { phase: 'init', seconds: report.initDurationMs / 1000, source: 'REPORT line: Init Duration' }
        : { phase: 'init', seconds: 0, source: 'REPORT line without Init Duration: a warm start' },
    );
  else absent.push({ phase: 'init', reason: 'no REPORT line was attributed to this rank' });

  if (target === 'cai')
    absent.push({ phase: 'load', reason: "the study's executor and rank JSON record no download/load time" });
  else {
    const loadS = finite(output?.load_seconds);
    const modelMs = finite(output?.init_duration_ms);
    if (loadS === null)
      absent.push({
        phase: 'load',
        reason: status === 'succeeded' ? "the worker's output has no load_seconds" : 'the rank returned no output',
      });
    else {
      // The emulator reports the model load as the REPORT line's Init Duration: the same measurement, counted once.
      const sameAsInit =
        modelMs !== null && report?.initDurationMs !== undefined && Math.abs(report.initDurationMs - modelMs) < 0.01;
      const withModel = modelMs !== null && !sameAsInit;
      known.push({
        phase: 'load',
        seconds: loadS + (withModel ? modelMs / 1000 : 0),
        source: withModel
          ? 'worker output: load_seconds (partitions) + init_duration_ms (model download + session)'
          : `worker output: load_seconds (partitions)${sameAsInit ? '; the model load is the Init Duration' : ''}`,
      });
    }
  }

  if (target === 'cai')
    absent.push({
      phase: 'inference',
      reason: "the study's rank JSON gives the torch profiler's operator CPU sum, not wall time",
    });
  else {
    const perBatch = finite(result?.[EXECUTION_TIME]);
    const batches = finite(result?.num_batches);
    if (perBatch === null || batches === null)
      absent.push({ phase: 'inference', reason: 'no rank result JSON with execution_time and num_batches' });
    else
      known.push({
        phase: 'inference',
        seconds: perBatch * batches,
        source: 'rank JSON: execution_time (seconds/batch) × num_batches (inference wall time)',
      });
  }
  return { known, absent };
}

/** One rank's entry; times relative to t0 (ms epoch). */
export function timelineEntry(
  trace: IterationTrace,
  t0: number,
  target: PipelineTarget,
  reports: Map<number, ReportLine>,
  results: Map<number, Record<string, unknown>>,
): RankTimelineEntry {
  const at = (e: HistoryEvent | undefined) => (e?.timestamp ? (e.timestamp.getTime() - t0) / 1000 : null);
  const ev = trace.events;
  const endEvent = ev.find((e) => (e.type ?? '') in END);
  const status: RankTimelineEntry['status'] = endEvent ? END[endEvent.type!] : 'running';
  const output = outputOf(ev);
  const rank = rankOf(itemOf(ev), output);
  const submitted = at(ev.find((e) => START.has(e.type ?? '')));
  const started = at(ev.find((e) => TASK_START.has(e.type ?? ''))) ?? submitted;
  const ended = at(endEvent) ?? at(ev.findLast((e) => TASK_END.has(e.type ?? '')));
  const attempts = ev.filter((e) => TASK_START.has(e.type ?? '')).length;
  const { known, absent } = phaseLengths(
    target,
    status,
    rank !== null ? reports.get(rank) : undefined,
    output,
    rank !== null ? results.get(rank) : undefined,
  );
  const phases: TimelinePhase[] = [];
  if (started !== null) {
    let t = started;
    for (const k of known) {
      phases.push({ ...k, start: t });
      t += k.seconds;
    }
    if (ended !== null) {
      const rest = ended - t;
      phases.push({
        phase: 'other',
        start: t,
        seconds: Math.max(0, rest),
        source: 'the rest of the task interval (TaskStarted → iteration end) in the execution history',
      });
      if (rest < -0.001)
        absent.push({
          phase: 'other',
          reason:
            status === 'aborted'
              ? `the invocation ran ${(-rest).toFixed(3)} s past the iteration's abort (Lambda does not stop it)`
              : `the measured phases exceed the task interval by ${(-rest).toFixed(3)} s (clocks differ)`,
        });
    } else absent.push({ phase: 'other', reason: 'the rank has not ended' });
  } else absent.push({ phase: 'other', reason: 'the rank never started' });
  return { rank, index: trace.index, status, submitted, started, ended, attempts, phases, absent };
}

export function buildRankTimeline(input: TimelineInputs): RankTimeline {
  const t0 = input.executionStart.getTime();
  const ranks = input.iterations
    .map((tr) => timelineEntry(tr, t0, input.target, input.reports, input.results))
    .sort((a, b) => (a.rank ?? a.index ?? 0) - (b.rank ?? b.index ?? 0) || (a.started ?? 0) - (b.started ?? 0));
  const lastEnd = Math.max(0, ...ranks.map((r) => r.ended ?? 0));
  const executionSeconds = input.executionEnd ? (input.executionEnd.getTime() - t0) / 1000 : lastEnd || null;
  const open = executionSeconds ?? lastEnd;
  const sweep = sweepConcurrency(
    ranks.flatMap((r) => (r.started === null ? [] : [{ start: r.started, end: r.ended ?? open }])),
  );
  return RankTimelineSchema.parse({
    executionStart: input.executionStart.toISOString(),
    executionSeconds,
    source: input.source,
    ranks,
    concurrency: sweep.steps,
    peak: sweep.peak,
    peakAt: sweep.peakAt,
    notes: input.notes ?? [],
  });
}

/**
 * An inline Map's iterations from the execution's own history: each event is assigned to the iteration whose
 * MapIterationStarted its previousEventId chain reaches (events outside any iteration are left out).
 */
export function iterationsFromHistory(events: HistoryEvent[]): IterationTrace[] {
  const byId = new Map<number, HistoryEvent>();
  for (const e of events) if (e.id !== undefined) byId.set(e.id, e);
  const indexOf = new Map<number, number | null>();
  const resolve = (e: HistoryEvent): number | null => {
    const own =
      e.mapIterationStartedEventDetails ??
      e.mapIterationSucceededEventDetails ??
      e.mapIterationFailedEventDetails ??
      e.mapIterationAbortedEventDetails;
    if (own?.index !== undefined) return own.index;
    const path: number[] = [];
    let found: number | null = null;
    for (let cur: HistoryEvent | undefined = e, hops = 0; cur && hops < 100_000; hops++) {
      if (cur.mapIterationStartedEventDetails?.index !== undefined) {
        found = cur.mapIterationStartedEventDetails.index;
        break;
      }
      // After an iteration's end event: the Map's own events (MapStateExited…), not the iteration's.
      if (cur !== e && /^MapIteration(Succeeded|Failed|Aborted)$/.test(cur.type ?? '')) break;
      if (cur.id !== undefined && indexOf.has(cur.id)) {
        found = indexOf.get(cur.id)!;
        break;
      }
      if (cur.type === 'MapStateEntered' || cur.type === 'ExecutionStarted') break;
      if (cur.id !== undefined) path.push(cur.id);
      cur = cur.previousEventId ? byId.get(cur.previousEventId) : undefined;
    }
    for (const id of path) indexOf.set(id, found);
    return found;
  };
  const groups = new Map<number, HistoryEvent[]>();
  for (const e of events) {
    const i = resolve(e);
    if (i === null) continue;
    const g = groups.get(i) ?? [];
    g.push(e);
    groups.set(i, g);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([index, evs]) => ({ index, events: evs }));
}
