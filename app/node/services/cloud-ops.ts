import { pendingRerunArn } from '../../../base/pending-rerun.ts';
import type { AwsClients } from '../../../cloud/aws-clients.ts';
import { buildRecord, launch, type CloudRunEvent } from '../../../cloud/cloud-run.ts';
import { followAndRecord } from '../cloud-follow-record.ts';
import { checkExecutionArn, stopExecution } from '../../../cloud/execution.ts';
import { snapshotExecution, type ExecutionSnapshot } from '../../../cloud/monitor.ts';
import { readResults, type RunResults } from '../../../cloud/results.ts';
import { rerunPayload } from '../../../cloud/rerun.ts';
import { CloudRunRecordSchema, type CloudRunRecord } from '../../../base/cloud-run-record.ts';
import type { HistoryStore } from '../history-store.ts';
import { resolveRunId } from '../run-ref.ts';

/**
 * The cloud operations a caller in this process runs in the foreground (the CLI's `cloud …` commands): connection
 * test, launch and follow, status, stop, results, re-run of failed ranks. The app's CloudRunService runs the same
 * steps in the background with events; both prepare a run with cloud-prepare.ts and record it with
 * ../cloud-follow-record.ts.
 */

export type { CloudRunEvent, ExecutionSnapshot, RunResults };
export type { ConnectionCheck } from '../../../cloud/connection-test.ts';
export type { StageProgress } from '../../../cloud/staging.ts';
export type { CaiPayload } from '../../../cloud/payload.ts';
export { testConnection } from '../../../cloud/connection-test.ts';
export { formatRankPlan } from '../../../cloud/cai-rank-plan.ts';
export { payloadToText } from '../../../cloud/payload.ts';
export { guardSingleRun } from '../../../cloud/running-guard.ts';
export { checkExecutionArn, launch };
export { followAndRecord };

/** An execution's state, Map item counts and every failed rank with its error and cause. */
export const executionStatus = (clients: AwsClients, arn: string): Promise<ExecutionSnapshot> =>
  snapshotExecution(clients.sfn, checkExecutionArn(arn), { lastFailed: -1 });

/** Stops a running execution; `stopped` is false (with its status) when it had already ended. */
export const stopRun = (clients: AwsClients, arn: string) => stopExecution(clients.sfn, checkExecutionArn(arn));

/**
 * The results of an execution (its record, read as History would save it, not saved) or of a result path (the
 * per-rank files, combined_data.json, problems and the aggregate).
 */
export async function cloudResults(
  clients: AwsClients,
  target: string,
): Promise<{ kind: 'record'; record: CloudRunRecord } | { kind: 'results'; results: RunResults }> {
  if (target.startsWith('arn:')) {
    const snap = await executionStatus(clients, target);
    return { kind: 'record', record: await buildRecord(clients, snap, 'unsaved', { reportWaitMs: 0 }) };
  }
  return {
    kind: 'results',
    results: await readResults(clients.s3, clients.profile.bucket, target.replace(/\/+$/, '')),
  };
}

/**
 * A recorded cloud run in History (by id, prefix, "latest" or name) and the payload that re-runs its failed ranks;
 * throws when it is no cloud run or has no failed rank to re-run.
 */
export async function failedRanksRun(history: HistoryStore, ref: string) {
  const runId = await resolveRunId(history, ref);
  const { entry } = await history.get(runId);
  const parsed = CloudRunRecordSchema.safeParse(entry.record);
  if (entry.kind !== 'cloud' || !parsed.success) throw new Error(`Run ${runId} is not a recorded cloud run.`);
  const pending = pendingRerunArn(entry.params, parsed.data);
  if (pending)
    throw new Error(
      `A re-run of run ${runId}'s failed ranks (${pending}) was not followed to its end: re-attach to it first ` +
        `(cosmicai cloud attach ${pending}); the run then gets its results.`,
    );
  return { runId, entry, record: parsed.data, payload: rerunPayload(parsed.data) };
}

/**
 * Re-runs the failed ranks of a recorded cloud run as a new execution into the same result_path, follows it, and
 * rewrites the run's History entry with the merged record of all its executions (as the app's rerunFailed does).
 */
export async function rerunFailedRanks(
  clients: AwsClients,
  history: HistoryStore,
  run: Awaited<ReturnType<typeof failedRanksRun>>,
  opts: {
    intervalMs: number;
    tailLogs: boolean;
    onEvent?: (e: CloudRunEvent) => void;
    onStarted?: (ranks: number[], executionArn: string) => void;
    /** Aborted: stop following (the execution keeps running; it can be re-attached into this run). */
    signal?: AbortSignal;
  },
): Promise<CloudRunRecord> {
  const { runId, entry, record: previous, payload } = run;
  const started = await launch(clients, payload);
  opts.onStarted?.(
    payload.ranks!.map((r) => r.rank),
    started.executionArn,
  );
  await history.update(runId, {
    params: {
      ...entry.params,
      reruns: [
        ...(Array.isArray(entry.params.reruns) ? entry.params.reruns : []),
        { of: previous.executionArn, executionArn: started.executionArn },
      ],
    },
  });
  const done = await followAndRecord(clients, started.executionArn, {
    history,
    runId,
    name: entry.name,
    intervalMs: opts.intervalMs,
    tailLogs: opts.tailLogs,
    onEvent: opts.onEvent,
    rerunOf: previous,
    signal: opts.signal,
  });
  if (done.detached)
    throw new Error(
      `Stopped following ${started.executionArn} before it ended; re-attach with: cosmicai cloud attach ` +
        `${started.executionArn} (run ${runId} then gets the merged results).`,
    );
  return done.record;
}
