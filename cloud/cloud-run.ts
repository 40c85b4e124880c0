import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { AwsClients } from './aws-clients.ts';
import { CloudError } from './aws-errors.ts';
import {
  CloudRunRecordSchema,
  type CloudRunRecord,
  type CloudRunStatus,
  type LambdaUsage,
} from '../base/cloud-run-record.ts';
import { CLOUD_METRIC_DEFINITIONS, headlineMetrics } from './cloud-metrics.ts';
import { logGroupName } from './connection-test.ts';
import { startExecution, type StartedExecution } from './execution.ts';
import { tailLogs, type LogLine, type ReportLine } from './logs.ts';
import { monitorExecution, snapshotExecution, type ExecutionSnapshot } from './monitor.ts';
import type { CaiPayload } from './payload.ts';
import { getFullHistory } from './execution-history.ts';
import { executionRanks, type ExecutionRank } from './execution-ranks.ts';
import { resolveTarget, type PipelineTarget } from './pipeline-target.ts';
import { readRankAttribution, type RankAttribution } from './report-attribution.ts';
import { readRankTimeline } from './rank-timeline-read.ts';
import { COMBINED_FILE, readResults, type RunResults } from './results.ts';
import { sleep } from './sleep.ts';

/**
 * A cloud run end to end: start the execution, follow it (status, Map item counts, failed ranks, log tail),
 * then read the results under result_path and build the run record. Works the same for a run started here and
 * for one re-attached by its execution ARN.
 */

export type CloudRunEvent =
  | { type: 'started'; executionArn: string; name: string; resultPath: string }
  | { type: 'status'; snapshot: ExecutionSnapshot }
  | { type: 'logs'; lines: LogLine[] }
  | { type: 'notice'; message: string };

/** Where finished runs are recorded. app/node's HistoryStore fits this shape. */
export interface RunHistorySink {
  create(init: {
    kind: string;
    name: string;
    params: Record<string, unknown>;
    headline?: Record<string, unknown>;
  }): Promise<{ id: string }>;
  finish(
    id: string,
    fin: {
      status: 'completed' | 'cancelled' | 'failed';
      record?: CloudRunRecord | null;
      partitions?: Array<Record<string, unknown>>;
      headline?: Record<string, unknown>;
      error?: { code: string; message: string; hint?: string } | null;
    },
  ): Promise<unknown>;
}

export interface FollowOptions {
  intervalMs?: number;
  signal?: AbortSignal;
  /** Tail `/aws/lambda/<inference Lambda>` while following. Default true. */
  tailLogs?: boolean;
  logIntervalMs?: number;
  onEvent?: (e: CloudRunEvent) => void;
}

export async function launch(
  clients: AwsClients,
  payload: CaiPayload,
  onEvent?: (e: CloudRunEvent) => void,
): Promise<StartedExecution> {
  const started = await startExecution(clients.sfn, clients.profile.stateMachineArn, payload);
  onEvent?.({
    type: 'started',
    executionArn: started.executionArn,
    name: started.name,
    resultPath: payload.result_path,
  });
  return started;
}

/** Follows an execution until it ends (or the signal aborts: then the last snapshot, execution untouched). */
export async function follow(
  clients: AwsClients,
  executionArn: string,
  opts: FollowOptions = {},
): Promise<ExecutionSnapshot> {
  const stopTail = new AbortController();
  const onOuterAbort = () => stopTail.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let tail: Promise<void> = Promise.resolve();
  try {
    if (opts.tailLogs !== false) {
      const first = await snapshotExecution(
        clients.sfn,
        executionArn,
        { lastFailed: Number.MAX_SAFE_INTEGER },
        opts.signal,
      );
      const start = first.startDate ? Date.parse(first.startDate) - 60_000 : Date.now() - 60_000;
      tail = tailLogs(clients.logs, {
        logGroupName: logGroupName(clients.profile.inferenceLambdaName),
        startTime: start,
        intervalMs: opts.logIntervalMs ?? opts.intervalMs ?? 2_000,
        signal: stopTail.signal,
        onLines: (lines) => opts.onEvent?.({ type: 'logs', lines }),
        onNotice: (message) => opts.onEvent?.({ type: 'notice', message }),
        // The execution ended (not a cancel): one last read delivers the last ranks' lines.
        drainOnStop: () => !opts.signal?.aborted,
      }).catch((err: unknown) => {
        // The log tail is a view: losing it must not lose the run.
        opts.onEvent?.({
          type: 'notice',
          message: `Log tail stopped: ${err instanceof Error ? err.message : String(err)}`,
        });
      });
    }
    try {
      return await monitorExecution(clients.sfn, executionArn, {
        intervalMs: opts.intervalMs,
        signal: opts.signal,
        onUpdate: (snapshot) => opts.onEvent?.({ type: 'status', snapshot }),
        onTransientError: (err) =>
          opts.onEvent?.({
            type: 'notice',
            message: `Status temporarily unavailable (${err.message}); still polling.`,
          }),
      });
    } catch (err) {
      // Losing contact is not the execution failing: say how to pick it up again.
      if (err instanceof CloudError)
        throw new CloudError({
          kind: err.kind,
          code: err.code,
          message: `Lost contact with ${executionArn}: ${err.detail}`,
          hint: `${err.hint} The execution may still be running: re-attach with its ARN once the connection is back.`,
        });
      throw err;
    }
  } finally {
    stopTail.abort();
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await tail;
  }
}

function recordStatus(s: ExecutionSnapshot['status']): CloudRunStatus {
  switch (s) {
    case 'SUCCEEDED':
      return 'completed';
    case 'FAILED':
      return 'failed';
    case 'TIMED_OUT':
      return 'timed_out';
    case 'ABORTED':
      return 'aborted';
    default:
      return 'running';
  }
}

export function historyStatus(s: CloudRunStatus): 'completed' | 'cancelled' | 'failed' {
  return s === 'completed' ? 'completed' : s === 'aborted' ? 'cancelled' : 'failed';
}

export function lambdaUsage(lines: ReportLine[]): LambdaUsage {
  return {
    invocations: lines.length,
    billedDurationMs: lines.reduce((a, l) => a + l.billedDurationMs, 0),
    durationMs: lines.reduce((a, l) => a + l.durationMs, 0),
    maxMemoryUsedMb: lines.reduce((a, l) => Math.max(a, l.maxMemoryUsedMb), 0),
    coldStarts: lines.filter((l) => l.initDurationMs !== undefined).length,
    initDurationMs: lines.reduce((a, l) => a + (l.initDurationMs ?? 0), 0),
  };
}

/** Reads the results of an execution (finished or not) and builds its record. */
export interface BuildRecordOptions {
  onEvent?: (e: CloudRunEvent) => void;
  /**
   * CloudWatch delivers log events seconds (sometimes minutes) after an invocation ends: wait up to this long for a
   * REPORT line per succeeded rank. Default 45 s; 0 reads once.
   */
  reportWaitMs?: number;
  signal?: AbortSignal;
}

/** The bucket the study's summarizer writes combined_data.json to, whatever the payload says. */
export const CAI_SUMMARIZER_BUCKET = 'cosmicai-data';

/**
 * This execution's REPORT lines, by request id (cloud/report-attribution.ts). CloudWatch delivers log events
 * seconds (sometimes minutes) after an invocation ends: waits up to reportWaitMs for one line per invoked rank.
 */
async function readLambdaUsage(
  clients: AwsClients,
  snapshot: ExecutionSnapshot,
  resultPath: string,
  ranks: number[],
  opts: BuildRecordOptions,
): Promise<RankAttribution | null> {
  if (!snapshot.startDate || ranks.length === 0) return null;
  const group = logGroupName(clients.profile.inferenceLambdaName);
  const from = Date.parse(snapshot.startDate) - 60_000;
  const items = snapshot.items;
  // Ranks that were never invoked (the execution failed or stopped first) will never have a line: do not wait for them.
  const expected =
    snapshot.status === 'SUCCEEDED' || !items ? ranks.length : Math.min(ranks.length, items.succeeded + items.failed);
  const deadline = Date.now() + (opts.reportWaitMs ?? 45_000);
  try {
    for (;;) {
      const to = (snapshot.stopDate ? Date.parse(snapshot.stopDate) : Date.now()) + 60_000;
      const got = await readRankAttribution(
        clients.logs,
        group,
        { start: from, end: to },
        resultPath,
        ranks,
        opts.signal,
        // A line from before this execution started is an earlier run's into the same result_path (a re-run's
        // failed attempt), not this one's.
        { from: Date.parse(snapshot.startDate) },
      );
      if (got.perRank.length >= expected || Date.now() >= deadline || opts.signal?.aborted) {
        if (got.missing.length)
          opts.onEvent?.({
            type: 'notice',
            message: `No REPORT line in ${group} for rank(s) ${got.missing.join(', ')} of this execution (yet); their Lambda usage is missing.`,
          });
        return got;
      }
      await sleep(Math.min(2_000, Math.max(0, deadline - Date.now())), opts.signal);
    }
  } catch (err) {
    opts.onEvent?.({
      type: 'notice',
      message: `Lambda REPORT lines unavailable: ${err instanceof CloudError ? err.message : String(err)}`,
    });
    return null;
  }
}

/** Where the results are: the study's ranks write to data_bucket, its summarizer to cosmicai-data; ours to bucket. */
async function readRunResults(
  clients: AwsClients,
  target: PipelineTarget,
  payload: CaiPayload,
  resultPath: string,
  mapSeconds: number | null,
): Promise<{ results: RunResults; lookedIn: string[] }> {
  const bucket =
    target === 'cai'
      ? String(payload.data_bucket ?? clients.profile.dataBucket ?? clients.profile.bucket)
      : typeof payload.bucket === 'string'
        ? payload.bucket
        : clients.profile.bucket;
  const results = await readResults(clients.s3, bucket, resultPath, mapSeconds);
  const lookedIn = [`s3://${bucket}/${resultPath}/`];
  if (target === 'cai' && results.combined === null && bucket !== CAI_SUMMARIZER_BUCKET) {
    lookedIn.push(`s3://${CAI_SUMMARIZER_BUCKET}/${resultPath}/${COMBINED_FILE}`);
    try {
      const other = await readResults(clients.s3, CAI_SUMMARIZER_BUCKET, resultPath, mapSeconds);
      if (other.combined) results.combined = other.combined;
    } catch {
      // Not readable there either; the problem below says where we looked.
    }
  }
  if (results.combined === null)
    results.problems.push({
      key: `${resultPath}/${COMBINED_FILE}`,
      problem: `combined_data.json not found; looked in ${lookedIn.join(' and ')}`,
    });
  return { results, lookedIn };
}

export const rankFromKey = (key: string): number | null => {
  const m = /\/(\d+)\.json(?:\[\d+\])?$/.exec(key);
  return m ? Number(m[1]) : null;
};

export async function buildRecord(
  clients: AwsClients,
  snapshot: ExecutionSnapshot,
  id: string,
  options: BuildRecordOptions | ((e: CloudRunEvent) => void) = {},
): Promise<CloudRunRecord> {
  const opts: BuildRecordOptions = typeof options === 'function' ? { onEvent: options } : options;
  const p = clients.profile;
  const payload = (snapshot.input && typeof snapshot.input === 'object' ? snapshot.input : {}) as CaiPayload;
  const resultPath = typeof payload.result_path === 'string' ? payload.result_path : '';
  if (!resultPath)
    throw new Error(
      `Execution ${snapshot.executionArn} has no result_path in its input; it was not started with a CAI payload.`,
    );
  const target = (await resolveTarget(clients)).target;
  const { results, lookedIn } = await readRunResults(clients, target, payload, resultPath, snapshot.mapDurationSeconds);
  const bucket = results.bucket;
  let ranks: ExecutionRank[] | null = null;
  let history: HistoryEvent[] | null = null;
  try {
    history = await getFullHistory(clients.sfn, snapshot.executionArn, opts.signal);
    ranks = executionRanks(history, target);
  } catch (err) {
    opts.onEvent?.({
      type: 'notice',
      message: `Could not read the execution's rank list: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
  const written = new Set(results.rankKeys.map(rankFromKey).filter((r): r is number => r !== null));
  const failed = new Set(snapshot.failedRanks.map((f) => Number(f.rank)));
  const attribution = await readLambdaUsage(
    clients,
    snapshot,
    resultPath,
    (ranks ?? []).map((r) => r.rank),
    opts,
  );
  const lambda = attribution ? lambdaUsage(attribution.perRank) : null;
  const timeline = await timelineFields(clients, snapshot.executionArn, history, target, attribution, results, opts);
  const devices = [...new Set(results.ranks.map((r) => r.device).filter((d): d is string => typeof d === 'string'))];
  const record: CloudRunRecord = {
    id,
    kind: 'cloud',
    status: recordStatus(snapshot.status),
    started: snapshot.startDate ?? new Date().toISOString(),
    finished: snapshot.stopDate,
    profile: {
      name: p.name,
      region: p.region,
      lambdaMemoryMb: p.lambdaMemoryMb,
      architecture: p.architecture,
      inferenceLambdaName: p.inferenceLambdaName,
      ...(p.credentials.source === 'emulator' ? { emulated: true } : {}),
    },
    stateMachineArn: snapshot.stateMachineArn ?? p.stateMachineArn,
    executionArn: snapshot.executionArn,
    executionName: snapshot.name ?? snapshot.executionArn.split(':').pop() ?? '',
    payload: payload as Record<string, unknown>,
    result_path: resultPath,
    bucket,
    ...headlineMetrics(results.aggregate),
    device: devices.length ? devices.join(',') : null,
    rank_results: results.ranks,
    rank_keys: results.rankKeys,
    combined: results.combined,
    results_source: results.source,
    result_problems: results.problems,
    items: snapshot.items,
    failed_ranks: snapshot.failedRanks,
    lambda,
    error: snapshot.error,
    cause: snapshot.cause,
    metricDefinitions: CLOUD_METRIC_DEFINITIONS,
    target,
    ...(ranks
      ? {
          rank_plan: ranks.map((r) => ({ rank: r.rank, dataPath: r.dataPath })),
          ranks_without_data: ranks.filter((r) => !r.hasData).map((r) => r.rank),
          ranks_missing_results: ranks
            .filter((r) => r.hasData && !written.has(r.rank) && !failed.has(r.rank))
            .map((r) => r.rank),
        }
      : {}),
    ...(attribution ? { lambda_per_rank: attribution.perRank, lambda_missing_ranks: attribution.missing } : {}),
    results_looked_in: lookedIn,
    ...timeline,
  };
  return CloudRunRecordSchema.parse(record);
}

/** The rank timeline and measured peak concurrency, or why there is none (cloud/rank-timeline-read.ts). */
async function timelineFields(
  clients: AwsClients,
  executionArn: string,
  history: HistoryEvent[] | null,
  target: PipelineTarget,
  attribution: RankAttribution | null,
  results: RunResults,
  opts: BuildRecordOptions,
): Promise<Pick<CloudRunRecord, 'rank_timeline' | 'measured_peak_concurrency' | 'rank_timeline_missing'>> {
  if (!history) return { rank_timeline_missing: 'the execution history could not be read' };
  try {
    const timeline = await readRankTimeline(clients.sfn, {
      executionArn,
      history,
      target,
      reports: attribution?.perRank ?? [],
      rankResults: results.ranks,
      rankKeys: results.rankKeys,
      reportsNote: attribution ? undefined : 'The REPORT lines could not be read: no init phase is known.',
      signal: opts.signal,
    });
    if (timeline.ranks.length === 0)
      return { rank_timeline_missing: 'no Map iteration was found in the execution (no rank ran)' };
    return { rank_timeline: timeline, measured_peak_concurrency: timeline.peak };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    opts.onEvent?.({ type: 'notice', message: `No rank timeline: ${why}` });
    return { rank_timeline_missing: `the ranks' executions could not be read: ${why}` };
  }
}

/** Saves a finished record into the history (one entry; the ranks as its partitions). */
export async function saveToHistory(
  history: RunHistorySink,
  record: CloudRunRecord,
  name?: string,
  existingId?: string,
): Promise<string> {
  const id =
    existingId ??
    (
      await history.create({
        kind: 'cloud',
        name: name ?? defaultRunName(record),
        params: { executionArn: record.executionArn, profile: record.profile.name, payload: record.payload },
      })
    ).id;
  const stored = { ...record, id };
  await history.finish(id, {
    status: historyStatus(record.status),
    record: stored,
    partitions: record.rank_results.map((r, i) => ({ ...r, partition: i + 1, key: record.rank_keys[i] })),
    headline: {
      batchSize: record.batch_size ?? undefined,
      partitions: record.ranks,
      samplesPerSec: record.sample_persec ?? undefined,
      data: `s3://${String(record.payload.data_bucket ?? record.bucket)}/${String(record.payload.data_prefix ?? '')}`,
    },
    error:
      record.status === 'completed'
        ? null
        : { code: record.error ?? record.status.toUpperCase(), message: runErrorMessage(record) },
  });
  return id;
}

export function defaultRunName(record: Pick<CloudRunRecord, 'profile' | 'payload'>): string {
  return `Cloud · ${record.profile.name} · batch ${String(record.payload.batch_size)} · ${String(record.payload.file_limit)} files`;
}

export function runErrorMessage(r: CloudRunRecord): string {
  const ranks = r.failed_ranks.map(
    (f) => `rank ${f.rank ?? `#${f.index ?? '?'}`}: ${f.error}${f.cause ? ` (${f.cause.slice(0, 300)})` : ''}`,
  );
  const head =
    r.status === 'aborted'
      ? 'The execution was stopped.'
      : r.status === 'timed_out'
        ? 'The execution timed out.'
        : `The execution failed${r.error ? ` (${r.error})` : ''}.`;
  return [head, ...ranks, `${r.ranks} rank result(s) were kept.`].join(' ');
}
