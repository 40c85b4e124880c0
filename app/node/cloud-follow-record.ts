import type { AwsClients } from '../../cloud/aws-clients.ts';
import type { CloudRunRecord } from '../../base/cloud-run-record.ts';
import { buildRecord, follow, saveToHistory, type CloudRunEvent } from '../../cloud/cloud-run.ts';
import { recordRerun } from '../../cloud/rerun-record.ts';
import { removeSuperseded } from './cloud-history.ts';
import type { HistoryStore } from './history-store.ts';

/**
 * Follows an execution to its end and records it into an existing History entry: the one place the CLI
 * (`cloud run`, `cloud attach`, `cloud rerun-failed`) and the app's CloudRunService do this. For a re-run of failed
 * ranks (`rerunOf`: the run's record before it) the entry gets the merged record of all the run's executions
 * (cloud/rerun-record.ts), not the re-run's alone. Stopping to follow (the signal) while the
 * execution still runs leaves the entry as it is (re-attachable by its ARN) and returns `detached`.
 */
export type FollowRecordResult = { detached: true } | { detached: false; record: CloudRunRecord & { id: string } };

export async function followAndRecord(
  clients: AwsClients,
  executionArn: string,
  opts: {
    history: HistoryStore;
    runId: string;
    name: string;
    signal?: AbortSignal;
    intervalMs?: number;
    logIntervalMs?: number;
    tailLogs?: boolean;
    onEvent?: (e: CloudRunEvent) => void;
    /** Called once the execution has ended, before its results are read. */
    onEnded?: (status: string) => void;
    /** This execution re-ran failed ranks of the run whose record (before the re-run) this is. */
    rerunOf?: CloudRunRecord;
  },
): Promise<FollowRecordResult> {
  let final: Awaited<ReturnType<typeof follow>>;
  try {
    final = await follow(clients, executionArn, {
      intervalMs: opts.intervalMs,
      logIntervalMs: opts.logIntervalMs,
      signal: opts.signal,
      tailLogs: opts.tailLogs,
      onEvent: opts.onEvent,
    });
  } catch (err) {
    // Stopped (Ctrl-C, app closing) while the first status request was in flight: there is no snapshot yet, but it is
    // the same detach, not a lost connection; the entry stays re-attachable by its ARN.
    if (opts.signal?.aborted) return { detached: true };
    throw err;
  }
  if (opts.signal?.aborted && final.status === 'RUNNING') return { detached: true };
  opts.onEnded?.(final.status);
  const own = await buildRecord(clients, final, opts.runId, { onEvent: opts.onEvent });
  const record = opts.rerunOf ? await recordRerun(clients, opts.rerunOf, own, { onEvent: opts.onEvent }) : own;
  // Superseded entries go first, so History never lists the execution twice; this run's own entry already holds the
  // ARN, so a crash in between still leaves it re-attachable.
  await removeSuperseded(opts.history, executionArn, opts.runId);
  const id = await saveToHistory(opts.history, record, opts.name, opts.runId);
  return { detached: false, record: { ...record, id } };
}
