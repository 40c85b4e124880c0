import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import type { RunEntry } from '../../../app/common/contract/index.ts';
import { actualCostFromUsage, formatUsd } from '../../../base/cost-model.ts';
import { navigate } from '../lib/router.ts';
import { ErrorBox } from './error-box.tsx';
import { CPU_MEMORY, CPU_TIME, EXECUTION_TIME } from '../../../base/metric-keys.ts';
import { executionsSummary } from '../../../base/run-executions.ts';
import { pendingRerunArn } from '../../../base/pending-rerun.ts';

/** What only a cloud run has: the study's aggregate across ranks, wall throughput, failed ranks, Lambda usage. */

type Rec = Record<string, unknown>;
const num = (r: Rec, k: string) => (typeof r[k] === 'number' && Number.isFinite(r[k]) ? (r[k] as number) : null);
const fmt = (v: number | null, digits = 3) =>
  v === null ? '—' : v.toLocaleString(undefined, { maximumFractionDigits: digits });

function Stat({ k, v, title, testId }: { k: string; v: string; title?: string; testId?: string }) {
  return (
    <div className="stat" title={title}>
      <div className="k">{k}</div>
      <div className="v" data-testid={testId}>
        {v}
      </div>
    </div>
  );
}

type LambdaUsage = { invocations: number; billedDurationMs: number; maxMemoryUsedMb: number; coldStarts: number };

/** Lambda compute + requests for the billed duration at the profile's memory (default us-east-1 prices); null without REPORT lines. */
function lambdaCost(rec: Rec): { usd: number; note: string } | null {
  const lambda = rec.lambda as LambdaUsage | null | undefined;
  const profile = rec.profile as { lambdaMemoryMb?: number; architecture?: 'x86_64' | 'arm64' } | undefined;
  if (!lambda || lambda.invocations === 0 || !profile?.lambdaMemoryMb || !profile.architecture) return null;
  const c = actualCostFromUsage(lambda, profile.lambdaMemoryMb, profile.architecture);
  const execs = executionsSummary(rec);
  return {
    usd: c.totalUsd,
    note:
      `${execs ? `All ${execs}, failed attempts included. ` : ''}${c.notes.join(' ')} ` +
      `Prices: ${c.priceSource} (${c.priceAsOf}); Step Functions and S3 not included.`,
  };
}

/** The top stats of a cloud run: the study's aggregates over ranks (a cloud run has no per-galaxy predictions). */
export function CloudHeadlineStats({ entry }: { entry: RunEntry }) {
  const rec = (entry.record ?? {}) as Rec;
  const cost = lambdaCost(rec);
  const batches = num(rec, 'num_batches');
  const batchSize = num(rec, 'batch_size');
  return (
    <>
      <Stat
        k="Samples/s (Σ ranks)"
        v={fmt(num(rec, 'sample_persec'), 1)}
        testId="stat-samples-per-sec"
        title="Per-rank samples/second summed over ranks (study)"
      />
      <Stat k="Time per batch (s)" v={fmt(num(rec, EXECUTION_TIME), 4)} testId="stat-seconds-per-batch" />
      <Stat
        k="Throughput (Mbit/s, Σ ranks)"
        v={fmt((num(rec, 'throughput_bps') ?? NaN) / 1e6, 2)}
        testId="stat-throughput"
        title="Sum of the ranks' throughputs (study)"
      />
      <Stat
        k="CPU time (s)"
        v={fmt(num(rec, CPU_TIME))}
        testId="stat-cpu-time"
        title="Mean over ranks after dropping 1.5×IQR outliers (study)"
      />
      <Stat k="Memory (MB, Σ ranks)" v={fmt(num(rec, CPU_MEMORY), 1)} testId="stat-memory" />
      <Stat
        k="Batches"
        v={batches === null ? '—' : `${fmt(batches, 0)}${batchSize !== null ? ` × ${fmt(batchSize, 0)}` : ''}`}
        testId="stat-batches"
        title="Batches summed over ranks × batch size"
      />
      {cost && <Stat k="Lambda cost" v={formatUsd(cost.usd)} testId="stat-lambda-cost" title={cost.note} />}
    </>
  );
}

export function CloudRunDetails({ entry }: { entry: RunEntry }) {
  const [error, setError] = useState<unknown>(null);
  const rec = (entry.record ?? {}) as Rec;
  const params = entry.params as Rec;
  const failed = Array.isArray(rec.failed_ranks)
    ? (rec.failed_ranks as Array<{
        rank: string | null;
        index: number | null;
        error: string;
        cause: string;
        dataPath?: unknown;
      }>)
    : [];
  const problems = Array.isArray(rec.result_problems)
    ? (rec.result_problems as Array<{ key: string; problem: string }>)
    : [];
  const lambda = (rec.lambda ?? null) as LambdaUsage | null;
  const items = (rec.items ?? null) as { succeeded: number; failed: number; total: number } | null;
  const executionArn = (rec.executionArn ?? params.executionArn) as string | undefined;
  const profile = (params.profile ?? (rec.profile as Rec | undefined)?.name) as string | undefined;
  // A run whose failed ranks were re-run: its totals cover every execution.
  const executions = executionsSummary(rec);
  // Out of the run's ranks: its Map items, unless re-runs made more items than ranks (then its rank plan).
  const of = executions ? (Array.isArray(rec.rank_plan) ? rec.rank_plan.length : null) : (items?.total ?? null);
  const executionArns = Array.isArray(rec.executions)
    ? (rec.executions as Array<{ executionArn?: unknown }>).map((e) => String(e.executionArn)).join('\n')
    : undefined;

  // A re-run of failed ranks started here but not followed to its end (the app was closed): re-attaching records it
  // into this run. While this app still follows it, there is nothing to re-attach.
  const pendingRerun = pendingRerunArn(params, entry.record);
  const [followed, setFollowed] = useState<boolean | null>(null);
  useEffect(() => {
    let live = true;
    setFollowed(null);
    if (pendingRerun)
      api.cloud
        .active()
        .then(({ runs }) => live && setFollowed(runs.some((r) => r.runId === entry.id)))
        .catch(() => live && setFollowed(false));
    return () => {
      live = false;
    };
  }, [entry.id, pendingRerun]);
  const rerunToAttach = pendingRerun && followed === false ? pendingRerun : null;

  const reattach = async (arn: string | undefined) => {
    try {
      if (!arn || !profile) throw new Error('This run has no execution ARN or profile to re-attach to.');
      await api.cloud.attach({ profile, executionArn: arn });
      navigate('cloud');
    } catch (err) {
      setError(err);
    }
  };

  // Only the failed ranks, as a new execution into the same result_path; this entry then gets the merged results.
  const rerunFailed = async () => {
    try {
      await api.cloud.rerunFailed({ runId: entry.id });
      navigate('cloud');
    } catch (err) {
      setError(err);
    }
  };
  const canRerun =
    failed.length > 0 && entry.status !== 'interrupted' && entry.status !== 'running' && pendingRerun === null;
  // A cloud run that failed before it had an execution or results has nothing for this card (its error shows above):
  // no empty "Cloud run" heading.
  const hasContent =
    !!executionArn || typeof rec.result_path === 'string' || !!entry.record || failed.length > 0 || problems.length > 0;
  if (!hasContent) return null;

  return (
    <div className="card" data-testid="cloud-details">
      <div className="card-head">
        <h2>Cloud run</h2>
        <span className="spacer" />
        {entry.status === 'interrupted' && executionArn && (
          <button className="primary" onClick={() => reattach(executionArn)} data-testid="reattach">
            Re-attach to the execution
          </button>
        )}
        {rerunToAttach && (
          <button
            className="primary"
            onClick={() => reattach(rerunToAttach)}
            data-testid="reattach-rerun"
            title={`The re-run of the failed ranks (${rerunToAttach}) was not followed to its end; its results go into this run`}
          >
            Re-attach to the re-run
          </button>
        )}
        {canRerun && (
          <button
            className="primary"
            onClick={rerunFailed}
            data-testid="rerun-failed"
            title="Runs only the failed ranks again, into the same results folder; this run then shows the merged results"
          >
            Re-run failed ranks
          </button>
        )}
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="Could not start" />
      {executionArn && <div className="muted nowrap">{executionArn}</div>}
      {executions && (
        <div className="muted" data-testid="cloud-executions" title={executionArns}>
          {executions}; items, Lambda usage and cost cover all of them.
        </div>
      )}
      {typeof rec.result_path === 'string' && (
        <div className="muted">
          Results: s3://{String(rec.bucket ?? '')}/{rec.result_path} ({String(rec.results_source ?? '')})
        </div>
      )}
      {entry.record && (
        <div className="stats">
          <Stat k="Ranks with results" v={`${fmt(num(rec, 'ranks'), 0)}${of !== null ? ` / ${of}` : ''}`} />
          <Stat k="Total bits" v={fmt(num(rec, 'total_bits'), 0)} />
          <Stat
            k="Wall throughput (Mbit/s)"
            v={fmt((num(rec, 'wall_throughput_bps') ?? NaN) / 1e6, 2)}
            title={`total_bits ÷ the Map state's duration${executions ? ' (summed over the executions)' : ''}`}
          />
          <Stat
            k="Map state (s)"
            v={fmt(num(rec, 'map_duration_seconds'), 2)}
            title={executions ? "The executions' Map states, summed" : undefined}
          />
          {lambda && (
            <Stat
              k="Lambda billed (s)"
              v={fmt(lambda.billedDurationMs / 1000, 2)}
              title={
                `${lambda.invocations} invocations, ${lambda.coldStarts} cold starts, ` +
                `max ${lambda.maxMemoryUsedMb} MB used${executions ? ` (${executions})` : ''}`
              }
            />
          )}
        </div>
      )}
      {failed.length > 0 && (
        <div className="error-box" data-testid="cloud-failed-ranks">
          <strong>Failed ranks</strong>
          <ul>
            {failed.map((f, i) => (
              <li key={i}>
                rank {f.rank ?? `#${f.index ?? '?'}`}
                {typeof f.dataPath === 'string' ? ` (${f.dataPath})` : ''}: <strong>{f.error}</strong>{' '}
                {f.cause.slice(0, 500)}
              </li>
            ))}
          </ul>
        </div>
      )}
      {problems.length > 0 && (
        <div className="notice">
          Result files left out:
          <ul>
            {problems.map((p) => (
              <li key={p.key}>
                {p.key}: {p.problem}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
