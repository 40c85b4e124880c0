import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { awsCall, CloudError } from './aws-errors.ts';
import {
  executionFailure,
  failedRanksFromHistory,
  getFullHistory,
  mapStateDurationSeconds,
  type FailedRank,
} from './execution-history.ts';
import { sleep } from './sleep.ts';

export type { FailedRank } from './execution-history.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
export const TERMINAL: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

export interface ItemCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
}

export interface MapRunState {
  mapRunArn: string;
  status: string;
  items: ItemCounts;
}

/** Everything the UI and CLI show about one execution at one moment. */
export interface ExecutionSnapshot {
  executionArn: string;
  stateMachineArn: string | null;
  name: string | null;
  status: ExecutionStatus;
  startDate: string | null;
  stopDate: string | null;
  input: unknown;
  output: unknown;
  /** Execution-level error and cause (failed / timed out / aborted). */
  error: string | null;
  cause: string | null;
  mapRuns: MapRunState[];
  /** Item counts summed over the Map runs; null while no Map run exists yet. */
  items: ItemCounts | null;
  failedRanks: FailedRank[];
  /** The Map state's duration from the history, once it has ended. */
  mapDurationSeconds: number | null;
  /** Whether the history was read for this snapshot (it is read when it can have changed what we show). */
  historyRead: boolean;
}

const zeroCounts = (): ItemCounts => ({
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  timedOut: 0,
  aborted: 0,
  total: 0,
});

function parse(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function readMapRuns(sfn: SFNClient, executionArn: string): Promise<MapRunState[] | null> {
  let listed;
  try {
    const runs: Array<{ mapRunArn?: string }> = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListMapRunsCommand({ executionArn, nextToken }));
      runs.push(...(page.mapRuns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    listed = runs;
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    // Endpoints without Distributed Map support (and inline Maps) have no map runs: fall back to the history.
    if (/UnknownOperation|UnsupportedOperation|NotImplemented|InvalidAction|UnknownOperationException/i.test(name))
      return null;
    throw err;
  }
  const out: MapRunState[] = [];
  for (const r of listed) {
    if (!r.mapRunArn) continue;
    const d = await awsCall({ service: 'SFN', operation: 'DescribeMapRun' }, () =>
      sfn.send(new DescribeMapRunCommand({ mapRunArn: r.mapRunArn })),
    );
    const c = d.itemCounts;
    out.push({
      mapRunArn: r.mapRunArn,
      status: d.status ?? 'RUNNING',
      items: {
        pending: c?.pending ?? 0,
        running: c?.running ?? 0,
        succeeded: c?.succeeded ?? 0,
        failed: c?.failed ?? 0,
        timedOut: c?.timedOut ?? 0,
        aborted: c?.aborted ?? 0,
        total: c?.total ?? 0,
      },
    });
  }
  return out;
}

/** For a Distributed Map whose child executions are listable (STANDARD children), their failures with error + cause. */
async function childFailures(sfn: SFNClient, mapRunArn: string, limit = 200): Promise<FailedRank[]> {
  const out: FailedRank[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ mapRunArn, statusFilter: 'FAILED', nextToken }));
      for (const ex of page.executions ?? []) {
        if (!ex.executionArn || out.length >= limit) continue;
        const events =
          (
            await sfn.send(
              new GetExecutionHistoryCommand({
                executionArn: ex.executionArn,
                maxResults: 1000,
                includeExecutionData: true,
              }),
            )
          ).events ?? [];
        const ranks = failedRanksFromHistory(events);
        if (ranks.length) out.push(...ranks);
        else {
          const f = executionFailure(events);
          const start = events.find((e) => e.type === 'ExecutionStarted')?.executionStartedEventDetails?.input;
          const input = parse(start) as Record<string, unknown> | null;
          out.push({
            rank: input && input.RANK !== undefined ? String(input.RANK) : null,
            index: null,
            dataPath: input?.DATA_PATH ?? null,
            error: f?.error ?? 'Failed',
            cause: f?.cause ?? '',
            event: 'ExecutionFailed',
            timestamp: ex.stopDate ? ex.stopDate.toISOString() : null,
          });
        }
      }
      nextToken = out.length < limit ? page.nextToken : undefined;
    } while (nextToken);
  } catch {
    // EXPRESS children cannot be listed; their failures are in the Map run's counts only.
  }
  return out;
}

export interface PollState {
  lastFailed: number;
}

/** One look at the execution. The history is read at the end, when failures grow, or when there are no map runs. */
export async function snapshotExecution(
  sfn: SFNClient,
  executionArn: string,
  state: PollState = { lastFailed: -1 },
  signal?: AbortSignal,
): Promise<ExecutionSnapshot> {
  const d = await awsCall({ service: 'SFN', operation: 'DescribeExecution', executionArn }, () =>
    sfn.send(new DescribeExecutionCommand({ executionArn }), { abortSignal: signal }),
  );
  const status = (d.status ?? 'RUNNING') as ExecutionStatus;
  const mapRuns = await readMapRuns(sfn, executionArn).catch((err) => {
    if (err instanceof CloudError) throw err;
    throw new CloudError({
      kind: 'unknown',
      code: String((err as Error).name),
      message: `ListMapRuns on ${executionArn}: ${(err as Error).message}`,
      hint: 'Check the execution ARN and the SFN permissions (states:ListMapRuns, states:DescribeMapRun).',
    });
  });
  let items: ItemCounts | null = null;
  if (mapRuns && mapRuns.length) {
    items = zeroCounts();
    for (const r of mapRuns) for (const k of Object.keys(items) as Array<keyof ItemCounts>) items[k] += r.items[k];
  }
  const failedNow = items ? items.failed + items.timedOut : -1;
  const terminal = TERMINAL.has(status);
  const readHistory = terminal || !mapRuns || failedNow > state.lastFailed;
  state.lastFailed = Math.max(state.lastFailed, failedNow);

  let failedRanks: FailedRank[] = [];
  let mapDurationSeconds: number | null = null;
  let error: string | null = d.error ?? null;
  let cause: string | null = d.cause ?? null;
  if (readHistory) {
    const events = await getFullHistory(sfn, executionArn, signal);
    failedRanks = failedRanksFromHistory(events);
    mapDurationSeconds = mapStateDurationSeconds(events);
    if (terminal && status !== 'SUCCEEDED' && (!error || !cause)) {
      const f = executionFailure(events);
      error ??= f?.error ?? null;
      cause ??= f?.cause ?? null;
    }
    if (!items) items = countsFromHistory(events);
    if (failedRanks.length === 0 && mapRuns)
      for (const r of mapRuns) if (r.items.failed > 0) failedRanks.push(...(await childFailures(sfn, r.mapRunArn)));
  }
  return {
    executionArn,
    stateMachineArn: d.stateMachineArn ?? null,
    name: d.name ?? null,
    status,
    startDate: d.startDate ? d.startDate.toISOString() : null,
    stopDate: d.stopDate ? d.stopDate.toISOString() : null,
    input: parse(d.input),
    output: parse(d.output),
    error,
    cause,
    mapRuns: mapRuns ?? [],
    items,
    failedRanks,
    mapDurationSeconds,
    historyRead: readHistory,
  };
}

/** Item counts from an inline Map's iteration events, when there is no Map run to ask. */
function countsFromHistory(events: Parameters<typeof failedRanksFromHistory>[0]): ItemCounts | null {
  const started = events.filter((e) => e.type === 'MapIterationStarted').length;
  if (!started && !events.some((e) => e.type === 'MapStateStarted')) return null;
  const c = zeroCounts();
  const itemCount = events.find((e) => e.type === 'MapStateStarted')?.mapStateStartedEventDetails?.length;
  c.succeeded = events.filter((e) => e.type === 'MapIterationSucceeded').length;
  c.failed = events.filter((e) => e.type === 'MapIterationFailed').length;
  c.aborted = events.filter((e) => e.type === 'MapIterationAborted').length;
  c.running = Math.max(0, started - c.succeeded - c.failed - c.aborted);
  c.total = itemCount ?? started;
  c.pending = Math.max(0, c.total - started);
  return c;
}

export interface MonitorOptions {
  intervalMs?: number;
  signal?: AbortSignal;
  onUpdate?: (s: ExecutionSnapshot) => void;
  /** Polls in a row that may fail with throttling / network / 5xx errors before giving up. Default 5. */
  maxTransientFailures?: number;
  onTransientError?: (err: CloudError) => void;
}

const TRANSIENT: ReadonlySet<string> = new Set(['throttled', 'unreachable', 'server-error']);

/**
 * Polls until the execution ends (resolves with the final snapshot, history read) or the signal aborts
 * (resolves with the last snapshot; the execution keeps running and can be re-attached by its ARN).
 */
export async function monitorExecution(
  sfn: SFNClient,
  executionArn: string,
  opts: MonitorOptions = {},
): Promise<ExecutionSnapshot> {
  const state: PollState = { lastFailed: -1 };
  let last: ExecutionSnapshot | null = null;
  let transientFailures = 0;
  for (;;) {
    try {
      last = await snapshotExecution(sfn, executionArn, state, opts.signal);
      transientFailures = 0;
    } catch (err) {
      if (opts.signal?.aborted && last) return last;
      // The SDK already retried; a run that lasts an hour can still outlive a short outage, so keep polling a while.
      if (
        err instanceof CloudError &&
        TRANSIENT.has(err.kind) &&
        ++transientFailures < (opts.maxTransientFailures ?? 5)
      ) {
        opts.onTransientError?.(err);
        await sleep(opts.intervalMs ?? 3_000, opts.signal);
        continue;
      }
      throw err;
    }
    opts.onUpdate?.(last);
    if (TERMINAL.has(last.status) || opts.signal?.aborted) return last;
    await sleep(opts.intervalMs ?? 3_000, opts.signal);
    if (opts.signal?.aborted) return last;
  }
}
