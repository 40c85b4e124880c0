import {
  CloudRunRecordSchema,
  type CloudRunRecord,
  type LambdaUsage,
  type RunExecution,
} from '../base/cloud-run-record.ts';
import { sweepConcurrency, RankTimelineSchema, type RankTimelineEntry } from '../base/rank-timeline.ts';
import { executionLabel, RERUN_METRIC_DEFINITIONS } from '../base/run-executions.ts';
import { rankFromKey } from './cloud-run.ts';

/**
 * The record of a run whose failed ranks were re-run (cloud/rerun.ts): the record before the re-run and the record of
 * the re-run execution (built like any run's, after it ended, from the same result_path) merged into one that covers
 * the whole run. Pure.
 *
 * - Results (rank files, aggregate, combined_data.json, problems): the re-run's record, read after it, has them all.
 * - Lambda totals: the sum of every execution's REPORT totals (failed attempts are billed too); max memory = max.
 *   Per rank: the kept ranks' lines from the earlier executions, the re-run ranks' from the re-run.
 * - Map items and Map durations: summed. Timeline: the lanes of all executions on the original's time axis.
 * - `executions` lists them (original, re-runs) so every figure can say what it covers; `started` is the original's,
 *   `finished` the re-run's end; `executionArn`/`executionName`/`payload` stay the original's: the run's identity
 *   (History, re-attach and `cloud rerun-failed` all name the run by it; the re-runs are in `executions`).
 * A re-run of a re-run merges again: the previous record's `executions` are kept and the new one appended.
 */

/** One execution's part of a run, from the record built for it alone. */
export function executionOf(r: CloudRunRecord, role: RunExecution['role']): RunExecution {
  return {
    executionArn: r.executionArn,
    executionName: r.executionName,
    role,
    started: r.started,
    stopped: r.finished,
    status: r.status,
    ranks: ranksOf(r),
    lambda: r.lambda,
    ...(r.lambda_missing_ranks ? { lambda_missing_ranks: r.lambda_missing_ranks } : {}),
    items: r.items,
    map_duration_seconds: r.map_duration_seconds,
  };
}

/** The executions a record covers: its `executions`, or the one it was built from. */
export function executionsOf(r: CloudRunRecord): RunExecution[] {
  return r.executions?.length ? r.executions : [executionOf(r, 'original')];
}

/** The ranks an execution ran: its rank plan (from the Map's input), else the re-run payload's, else the REPORTs'. */
function ranksOf(r: CloudRunRecord): number[] {
  if (r.rank_plan) return r.rank_plan.map((p) => p.rank);
  const asked = Array.isArray(r.payload.ranks) ? r.payload.ranks : null;
  if (asked) return asked.map((x) => Number((x as { rank?: unknown }).rank)).filter(Number.isSafeInteger);
  return (r.lambda_per_rank ?? []).map((x) => x.rank);
}

/** Sums REPORT totals; the largest Max Memory Used. Null when any is unknown: a partial sum would under-state cost. */
export function sumLambdaUsage(usages: Array<LambdaUsage | null>): LambdaUsage | null {
  if (usages.length === 0 || usages.some((u) => u === null)) return null;
  const us = usages as LambdaUsage[];
  const total = (k: 'invocations' | 'billedDurationMs' | 'durationMs' | 'coldStarts' | 'initDurationMs') =>
    us.reduce((a, u) => a + u[k], 0);
  return {
    invocations: total('invocations'),
    billedDurationMs: total('billedDurationMs'),
    durationMs: total('durationMs'),
    maxMemoryUsedMb: Math.max(...us.map((u) => u.maxMemoryUsedMb)),
    coldStarts: total('coldStarts'),
    initDurationMs: total('initDurationMs'),
  };
}

function sumItems(items: Array<CloudRunRecord['items']>): CloudRunRecord['items'] {
  if (items.length === 0 || items.some((i) => i === null)) return null;
  const all = items as NonNullable<CloudRunRecord['items']>[];
  const keys = ['pending', 'running', 'succeeded', 'failed', 'timedOut', 'aborted', 'total'] as const;
  return Object.fromEntries(keys.map((k) => [k, all.reduce((a, i) => a + i[k], 0)])) as NonNullable<
    CloudRunRecord['items']
  >;
}

const sorted = (xs: Iterable<number>) => [...new Set(xs)].sort((a, b) => a - b);

export function mergeRerunRecord(previous: CloudRunRecord, rerun: CloudRunRecord): CloudRunRecord {
  if (previous.result_path !== rerun.result_path)
    throw new Error(
      `Cannot merge ${rerun.executionArn} into run ${previous.id}: it wrote to "${rerun.result_path}", ` +
        `the run to "${previous.result_path}".`,
    );
  const before = executionsOf(previous);
  const index = before.length;
  const executions = [...before, executionOf(rerun, 'rerun')];
  const rerunRanks = new Set(executions[index].ranks);
  const rerunRank = (rank: number | string | null) => rank !== null && rerunRanks.has(Number(rank));

  // Failed ranks that were not re-run (no partition file known) stay failed: the run is then still failed.
  const leftover = previous.failed_ranks.filter((f) => !rerunRank(f.rank));
  const failed_ranks = [...leftover, ...rerun.failed_ranks];
  const stillFailed = leftover.length > 0 && rerun.status === 'completed';

  const mapSeconds = executions.map((e) => e.map_duration_seconds);
  const map_duration_seconds = mapSeconds.every((s): s is number => s !== null)
    ? mapSeconds.reduce((a, s) => a + s, 0)
    : null;

  const perRank =
    previous.lambda_per_rank || rerun.lambda_per_rank
      ? [
          ...(previous.lambda_per_rank ?? [])
            .filter((x) => !rerunRanks.has(x.rank))
            .map((x) => ({ ...x, execution: x.execution ?? 0 })),
          ...(rerun.lambda_per_rank ?? []).map((x) => ({ ...x, execution: index })),
        ].sort((a, b) => a.rank - b.rank)
      : undefined;
  const missingLambda =
    previous.lambda_missing_ranks || rerun.lambda_missing_ranks
      ? sorted([
          ...(previous.lambda_missing_ranks ?? []).filter((r) => !rerunRanks.has(r)),
          ...(rerun.lambda_missing_ranks ?? []),
        ])
      : undefined;

  const {
    rank_plan: _plan,
    ranks_without_data: _noData,
    ranks_missing_results: _missing,
    lambda_per_rank: _perRank,
    lambda_missing_ranks: _missingLambda,
    rank_timeline: _timeline,
    measured_peak_concurrency: _peak,
    rank_timeline_missing: _timelineMissing,
    executions: _executions,
    ...results
  } = rerun;

  const merged: CloudRunRecord = {
    // What the re-run's record read after it ended: every rank's result file under the result_path, the aggregate.
    ...results,
    id: previous.id,
    status: stillFailed ? 'failed' : rerun.status,
    started: previous.started,
    finished: rerun.finished,
    executionArn: previous.executionArn,
    executionName: previous.executionName,
    payload: previous.payload,
    items: sumItems(executions.map((e) => e.items)),
    failed_ranks,
    lambda: sumLambdaUsage(executions.map((e) => e.lambda)),
    error: stillFailed ? previous.error : rerun.error,
    cause: stillFailed ? previous.cause : rerun.cause,
    map_duration_seconds,
    wall_throughput_bps:
      map_duration_seconds !== null && map_duration_seconds > 0 && rerun.total_bits !== null
        ? rerun.total_bits / map_duration_seconds
        : null,
    metricDefinitions: { ...rerun.metricDefinitions, ...RERUN_METRIC_DEFINITIONS },
    ...mergePlan(previous, rerun, rerunRanks, failed_ranks),
    ...(perRank ? { lambda_per_rank: perRank } : {}),
    ...(missingLambda ? { lambda_missing_ranks: missingLambda } : {}),
    ...mergeTimeline(previous, rerun, executions),
    executions,
  };
  return CloudRunRecordSchema.parse(merged);
}

/** Every rank of the run with its data: the earlier plan with the re-run ranks' entries replaced. */
function mergePlan(
  previous: CloudRunRecord,
  rerun: CloudRunRecord,
  rerunRanks: Set<number>,
  failed: CloudRunRecord['failed_ranks'],
): Pick<CloudRunRecord, 'rank_plan' | 'ranks_without_data' | 'ranks_missing_results'> {
  if (!previous.rank_plan && !rerun.rank_plan) return {};
  const plan = new Map<number, unknown>();
  for (const p of previous.rank_plan ?? []) plan.set(p.rank, p.dataPath);
  for (const p of rerun.rank_plan ?? []) plan.set(p.rank, p.dataPath);
  const withoutData = sorted([
    ...(previous.ranks_without_data ?? []).filter((r) => !rerunRanks.has(r)),
    ...(rerun.ranks_without_data ?? []),
  ]);
  const noData = new Set(withoutData);
  const written = new Set(rerun.rank_keys.map(rankFromKey).filter((r): r is number => r !== null));
  const failedRanks = new Set(failed.map((f) => Number(f.rank)));
  const ranks = sorted(plan.keys());
  return {
    rank_plan: ranks.map((rank) => ({ rank, dataPath: plan.get(rank) })),
    ranks_without_data: withoutData,
    ranks_missing_results: ranks.filter((r) => !noData.has(r) && !written.has(r) && !failedRanks.has(r)),
  };
}

/**
 * The lanes of every execution on one axis (s from the original's start), each saying which execution it is from;
 * the measured concurrency by the same sweep line over all of them, so the peak is the larger of the executions'
 * peaks unless they overlapped in time.
 */
function mergeTimeline(
  previous: CloudRunRecord,
  rerun: CloudRunRecord,
  executions: RunExecution[],
): Pick<CloudRunRecord, 'rank_timeline' | 'measured_peak_concurrency' | 'rank_timeline_missing'> {
  const a = previous.rank_timeline;
  const b = rerun.rank_timeline;
  const index = executions.length - 1;
  if (!a && !b)
    return {
      rank_timeline_missing: `no execution of this run has a rank timeline (${
        rerun.rank_timeline_missing ?? previous.rank_timeline_missing ?? 'not recorded'
      })`,
    };
  const t0 = a?.executionStart ?? executions[0].started;
  const at = (iso: string) => (Date.parse(iso) - Date.parse(t0)) / 1000;
  const spans = executions.map((e, i) => ({
    label: executionLabel(executions, i),
    start: at(e.started),
    end: e.stopped ? at(e.stopped) : null,
  }));
  const shift = (r: RankTimelineEntry, by: number): RankTimelineEntry => {
    const s = (v: number | null) => (v === null ? null : v + by);
    return {
      ...r,
      submitted: s(r.submitted),
      started: s(r.started),
      ended: s(r.ended),
      phases: r.phases.map((p) => ({ ...p, start: p.start + by })),
      execution: index,
    };
  };
  const lanes = [
    ...(a?.ranks ?? []).map((r) => ({ ...r, execution: r.execution ?? 0 })),
    ...(b ? b.ranks.map((r) => shift(r, at(b.executionStart))) : []),
  ].sort(
    (x, y) =>
      (x.rank ?? x.index ?? 0) - (y.rank ?? y.index ?? 0) ||
      (x.execution ?? 0) - (y.execution ?? 0) ||
      (x.started ?? 0) - (y.started ?? 0),
  );
  // A lane that had not ended when its execution was recorded ran at most to that execution's end.
  const sweep = sweepConcurrency(
    lanes.flatMap((r) => {
      if (r.started === null) return [];
      const end = r.ended ?? spans[r.execution ?? 0]?.end ?? r.started;
      return [{ start: r.started, end }];
    }),
  );
  const notes = [
    ...(a?.notes ?? []),
    ...(b?.notes ?? []).map((n) => `${spans[index].label}: ${n}`),
    ...(a
      ? []
      : [`The original execution has no rank timeline (${previous.rank_timeline_missing ?? 'not recorded'}).`]),
    ...(b ? [] : [`${spans[index].label} has no rank timeline (${rerun.rank_timeline_missing ?? 'not recorded'}).`]),
  ];
  const last = spans[index];
  const timeline = RankTimelineSchema.parse({
    executionStart: t0,
    executionSeconds: last.end ?? (b?.executionSeconds != null ? last.start + b.executionSeconds : null),
    source: a?.source ?? b!.source,
    ranks: lanes,
    concurrency: sweep.steps,
    peak: sweep.peak,
    peakAt: sweep.peakAt,
    notes,
    executions: spans,
  });
  return { rank_timeline: timeline, measured_peak_concurrency: timeline.peak };
}
