import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { awsCall } from './aws-errors.ts';

/** Reading an execution's history: every page, failed ranks with error + cause, and the Map state's duration. */

export async function getFullHistory(
  sfn: SFNClient,
  executionArn: string,
  signal?: AbortSignal,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall({ service: 'SFN', operation: 'GetExecutionHistory', executionArn }, () =>
      sfn.send(
        new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: true }),
        { abortSignal: signal },
      ),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

export interface FailedRank {
  /** The study's RANK from the item's input, when it can be found. */
  rank: string | null;
  /** The Map iteration index, when known. */
  index: number | null;
  /** The partition(s) the rank was given (DATA_PATH), when known. */
  dataPath: unknown;
  error: string;
  cause: string;
  /** Which event said so, e.g. "TaskFailed". */
  event: string;
  timestamp: string | null;
}

interface FailureDetails {
  error?: string;
  cause?: string;
}

function failureOf(e: HistoryEvent): FailureDetails | null {
  const d =
    e.taskFailedEventDetails ??
    e.taskTimedOutEventDetails ??
    e.lambdaFunctionFailedEventDetails ??
    e.lambdaFunctionTimedOutEventDetails ??
    e.taskStartFailedEventDetails ??
    e.taskSubmitFailedEventDetails ??
    e.lambdaFunctionStartFailedEventDetails ??
    e.lambdaFunctionScheduleFailedEventDetails ??
    e.activityFailedEventDetails;
  if (d) return d;
  if (e.type?.endsWith('TimedOut')) return { error: 'States.Timeout', cause: 'The task timed out.' };
  return null;
}

const TASK_FAILURES = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
]);
const TASK_SUCCESSES = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded', 'ActivitySucceeded']);

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Walks previousEventId links back to the nearest state input and Map iteration index. */
function ancestry(e: HistoryEvent, byId: Map<number, HistoryEvent>): { input: unknown; index: number | null } {
  let input: unknown;
  let index: number | null = null;
  for (
    let cur: HistoryEvent | undefined = e, hops = 0;
    cur && hops < 10_000;
    cur = cur.previousEventId ? byId.get(cur.previousEventId) : undefined, hops++
  ) {
    if (input === undefined && cur.stateEnteredEventDetails?.input)
      input = parseJson(cur.stateEnteredEventDetails.input);
    if (index === null && cur.mapIterationStartedEventDetails?.index !== undefined)
      index = cur.mapIterationStartedEventDetails.index;
    if (cur.type === 'MapStateEntered') break;
    if (input !== undefined && index !== null) break;
  }
  return { input, index };
}

function rankOf(input: unknown): { rank: string | null; dataPath: unknown } {
  if (!input || typeof input !== 'object') return { rank: null, dataPath: null };
  const o = input as Record<string, unknown>;
  const inner = (o.Payload && typeof o.Payload === 'object' ? o.Payload : o) as Record<string, unknown>;
  const rank = inner.RANK ?? inner.rank;
  return {
    rank: rank === undefined || rank === null ? null : String(rank),
    dataPath: inner.DATA_PATH ?? inner.data_path ?? null,
  };
}

/**
 * Lambda reports a function's exception as the cause `{"errorType","errorMessage","trace"}`; the message is what
 * a user needs (the trace is in the log group). Other causes are kept as they are.
 */
export function readableCause(cause: string): string {
  const parsed = parseJson(cause) as { errorMessage?: unknown } | undefined;
  return parsed && typeof parsed === 'object' && typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
}

/**
 * The ranks whose last task attempt failed (a failure followed by a successful retry does not count).
 * MapIterationFailed events fill in ranks whose task failure is not in this history.
 */
export function failedRanksFromHistory(events: HistoryEvent[]): FailedRank[] {
  const byId = new Map<number, HistoryEvent>();
  for (const e of events) if (e.id !== undefined) byId.set(e.id, e);
  const last = new Map<string, FailedRank | null>();
  for (const e of events) {
    const type = e.type ?? '';
    if (!TASK_FAILURES.has(type) && !TASK_SUCCESSES.has(type)) continue;
    const { input, index } = ancestry(e, byId);
    const { rank, dataPath } = rankOf(input);
    // A task outside any Map iteration (Initialize, Summarize) is not a rank: executionFailure() reports it.
    if (rank === null && index === null) continue;
    const key = rank !== null ? `rank:${rank}` : `index:${index}`;
    if (TASK_SUCCESSES.has(type)) {
      last.set(key, null);
      continue;
    }
    const f = failureOf(e) ?? {};
    last.set(key, {
      rank,
      index,
      dataPath,
      error: f.error ?? type,
      cause: readableCause(f.cause ?? ''),
      event: type,
      timestamp: e.timestamp ? e.timestamp.toISOString() : null,
    });
  }
  const out = [...last.values()].filter((v): v is FailedRank => v !== null);
  const seenIndex = new Set(out.map((f) => f.index).filter((i) => i !== null));
  for (const e of events) {
    if (e.type !== 'MapIterationFailed') continue;
    const index = e.mapIterationFailedEventDetails?.index ?? null;
    if (index !== null && seenIndex.has(index)) continue;
    out.push({
      rank: null,
      index,
      dataPath: null,
      error: 'MapIterationFailed',
      cause: '',
      event: 'MapIterationFailed',
      timestamp: e.timestamp ? e.timestamp.toISOString() : null,
    });
  }
  // A timeout or a Stop ends the ranks still running: they did not finish, and the execution's end says why. (When the
  // execution FAILED, the ranks aborted alongside the failed one are collateral and their results often still land.)
  const end = events.findLast((e) => e.type === 'ExecutionTimedOut' || e.type === 'ExecutionAborted');
  if (end) {
    const why = executionFailure(events);
    const listed = new Set(out.map((f) => f.index).filter((i) => i !== null));
    for (const e of events) {
      if (e.type !== 'MapIterationAborted') continue;
      const { input, index: found } = ancestry(e, byId);
      const index = e.mapIterationAbortedEventDetails?.index ?? found;
      if (index !== null && listed.has(index)) continue;
      const { rank, dataPath } = rankOf(input);
      const cause =
        end.type === 'ExecutionTimedOut'
          ? 'Still running when the execution timed out.'
          : 'Still running when the execution was stopped.';
      out.push({
        rank,
        index,
        dataPath,
        error: why?.error || (end.type === 'ExecutionTimedOut' ? 'States.Timeout' : 'ExecutionAborted'),
        cause,
        event: 'MapIterationAborted',
        timestamp: e.timestamp ? e.timestamp.toISOString() : null,
      });
    }
  }
  return out.sort((a, b) => Number(a.rank ?? a.index ?? 0) - Number(b.rank ?? b.index ?? 0));
}

/** The execution-level failure (ExecutionFailed / MapRunFailed / ExecutionTimedOut / ExecutionAborted), if any. */
export function executionFailure(events: HistoryEvent[]): { error: string; cause: string } | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    const d =
      e.executionFailedEventDetails ??
      e.executionAbortedEventDetails ??
      e.executionTimedOutEventDetails ??
      e.mapRunFailedEventDetails;
    if (d) return { error: d.error ?? e.type ?? 'Failed', cause: d.cause ?? '' };
    if (e.type === 'ExecutionAborted' || e.type === 'ExecutionTimedOut') return { error: e.type, cause: '' };
  }
  return null;
}

const MAP_END = new Set([
  'MapStateExited',
  'MapStateFailed',
  'MapStateAborted',
  'MapRunFailed',
  'MapRunAborted',
  'MapRunSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);

/** Seconds from the (first, outermost) MapStateEntered to its exit or the failure that ended it; null if not run. */
export function mapStateDurationSeconds(events: HistoryEvent[]): number | null {
  const start = events.find((e) => e.type === 'MapStateEntered');
  if (!start?.timestamp) return null;
  const name = start.stateEnteredEventDetails?.name;
  const end = events.find(
    (e) =>
      (e.id ?? 0) > (start.id ?? 0) &&
      e.timestamp &&
      MAP_END.has(e.type ?? '') &&
      (e.type !== 'MapStateExited' || !name || e.stateExitedEventDetails?.name === name),
  );
  if (!end?.timestamp) return null;
  return (end.timestamp.getTime() - start.timestamp.getTime()) / 1000;
}
