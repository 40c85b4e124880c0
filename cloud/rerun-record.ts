import type { AwsClients } from './aws-clients.ts';
import type { CloudRunRecord } from '../base/cloud-run-record.ts';
import { lambdaUsage, type CloudRunEvent } from './cloud-run.ts';
import { logGroupName } from './connection-test.ts';
import { readRankAttribution } from './report-attribution.ts';
import { executionsOf, mergeRerunRecord, sumLambdaUsage } from './rerun-merge.ts';

/**
 * The record of a run after one of its re-runs ended: the record before the re-run, with its last execution's REPORT
 * lines read again, merged with the re-run's (cloud/rerun-merge.ts). The one place the app's `cloud.rerunFailed` and
 * the CLI's `cloud rerun-failed` build it (through app/node/cloud-follow-record.ts).
 *
 * Why read again: a failed execution is recorded as soon as it fails, while its other ranks' Lambdas may still be
 * running (Lambda does not stop them; AWS bills them), so their REPORT lines were not there yet. By the time the
 * re-run has ended they are. A line counts for the earlier execution when it is from after that execution started
 * and, for a rank the re-run ran again, from before the re-run started (the same result_path and rank: only time
 * tells the failed attempt from its re-run). Lines of the earlier execution's other ranks are taken until now.
 */
export async function recordRerun(
  clients: AwsClients,
  previous: CloudRunRecord,
  rerun: CloudRunRecord,
  opts: { signal?: AbortSignal; onEvent?: (e: CloudRunEvent) => void } = {},
): Promise<CloudRunRecord> {
  const refreshed = await rereadLastExecution(clients, previous, rerun, opts);
  return mergeRerunRecord(refreshed, rerun);
}

async function rereadLastExecution(
  clients: AwsClients,
  previous: CloudRunRecord,
  rerun: CloudRunRecord,
  opts: { signal?: AbortSignal; onEvent?: (e: CloudRunEvent) => void },
): Promise<CloudRunRecord> {
  const executions = executionsOf(previous);
  const i = executions.length - 1;
  const last = executions[i];
  if (last.ranks.length === 0) return previous;
  const from = Date.parse(last.started);
  const rerunStart = Date.parse(rerun.started);
  const rerunRanks = new Set(executionsOf(rerun).flatMap((e) => e.ranks));
  let got;
  try {
    got = await readRankAttribution(
      clients.logs,
      logGroupName(clients.profile.inferenceLambdaName),
      { start: from - 60_000, end: Date.now() + 60_000 },
      previous.result_path,
      last.ranks,
      opts.signal,
      { from, until: (rank) => (rerunRanks.has(rank) ? rerunStart : Infinity) },
    );
  } catch (err) {
    opts.onEvent?.({
      type: 'notice',
      message: `Could not re-read the REPORT lines of ${last.executionArn}; its Lambda usage stays as recorded: ${
        err instanceof Error ? err.message : String(err)
      }`,
    });
    return previous;
  }
  // Only ever adds lines: fewer than recorded means the logs expired or were not readable in full.
  if (got.perRank.length <= (last.lambda?.invocations ?? 0)) return previous;
  const updated = [...executions];
  updated[i] = { ...last, lambda: lambdaUsage(got.perRank), lambda_missing_ranks: got.missing };
  const reread = new Set(got.perRank.map((x) => x.rank));
  const perRank = [
    ...(previous.lambda_per_rank ?? []).filter((x) => !reread.has(x.rank)),
    ...got.perRank.map((x) => ({ ...x, execution: i })),
  ].sort((a, b) => a.rank - b.rank);
  const missing = new Set([...(previous.lambda_missing_ranks ?? []), ...got.missing]);
  for (const r of reread) missing.delete(r);
  return {
    ...previous,
    executions: updated,
    lambda: sumLambdaUsage(updated.map((e) => e.lambda)),
    lambda_per_rank: perRank,
    lambda_missing_ranks: [...missing].sort((a, b) => a - b),
  };
}
