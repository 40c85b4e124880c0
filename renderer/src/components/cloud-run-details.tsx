import { useState } from 'react';
import { api } from '../api.ts';
import type { RunEntry } from '../../../app/common/contract/index.ts';
import { navigate } from '../lib/router.ts';
import { ErrorBox } from './error-box.tsx';

/** What only a cloud run has: the study's aggregate across ranks, wall throughput, failed ranks, Lambda usage. */

type Rec = Record<string, unknown>;
const num = (r: Rec, k: string) => (typeof r[k] === 'number' && Number.isFinite(r[k]) ? (r[k] as number) : null);
const fmt = (v: number | null, digits = 3) => (v === null ? '—' : v.toLocaleString(undefined, { maximumFractionDigits: digits }));

function Stat({ k, v, title }: { k: string; v: string; title?: string }) {
  return (
    <div className="stat" title={title}>
      <div className="k">{k}</div>
      <div className="v">{v}</div>
    </div>
  );
}

export function CloudRunDetails({ entry }: { entry: RunEntry }) {
  const [error, setError] = useState<unknown>(null);
  const rec = (entry.record ?? {}) as Rec;
  const params = entry.params as Rec;
  const failed = Array.isArray(rec.failed_ranks) ? (rec.failed_ranks as Array<{ rank: string | null; index: number | null; error: string; cause: string; dataPath?: unknown }>) : [];
  const problems = Array.isArray(rec.result_problems) ? (rec.result_problems as Array<{ key: string; problem: string }>) : [];
  const lambda = (rec.lambda ?? null) as { invocations: number; billedDurationMs: number; maxMemoryUsedMb: number; coldStarts: number } | null;
  const items = (rec.items ?? null) as { succeeded: number; failed: number; total: number } | null;
  const executionArn = (rec.executionArn ?? params.executionArn) as string | undefined;
  const profile = (params.profile ?? (rec.profile as Rec | undefined)?.name) as string | undefined;

  const reattach = async () => {
    try {
      if (!executionArn || !profile) throw new Error('This run has no execution ARN or profile to re-attach to.');
      await api.cloud.attach({ profile, executionArn });
      navigate('cloud');
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="card" data-testid="cloud-details">
      <div className="card-head">
        <h2>Cloud run</h2>
        <span className="spacer" />
        {entry.status === 'interrupted' && executionArn && (
          <button className="primary" onClick={reattach} data-testid="reattach">
            Re-attach to the execution
          </button>
        )}
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="Could not re-attach" />
      {executionArn && <div className="muted nowrap">{executionArn}</div>}
      {typeof rec.result_path === 'string' && (
        <div className="muted">
          Results: s3://{String(rec.bucket ?? '')}/{rec.result_path} ({String(rec.results_source ?? '')})
        </div>
      )}
      {entry.record && (
        <div className="stats">
          <Stat k="Ranks with results" v={`${fmt(num(rec, 'ranks'), 0)}${items ? ` / ${items.total}` : ''}`} />
          <Stat k="CPU time (s)" v={fmt(num(rec, 'total_cpu_time (seconds)'))} title="Mean over ranks after dropping 1.5×IQR outliers (study)" />
          <Stat k="Memory (MB, Σ ranks)" v={fmt(num(rec, 'total_cpu_memory (MB)'), 1)} />
          <Stat k="Throughput (Mbit/s, Σ ranks)" v={fmt((num(rec, 'throughput_bps') ?? NaN) / 1e6, 2)} title="Sum of the ranks' throughputs (study)" />
          <Stat k="Total bits" v={fmt(num(rec, 'total_bits'), 0)} />
          <Stat k="Wall throughput (Mbit/s)" v={fmt((num(rec, 'wall_throughput_bps') ?? NaN) / 1e6, 2)} title="total_bits ÷ the Map state's duration" />
          <Stat k="Map state (s)" v={fmt(num(rec, 'map_duration_seconds'), 2)} />
          {lambda && <Stat k="Lambda billed (s)" v={fmt(lambda.billedDurationMs / 1000, 2)} title={`${lambda.invocations} invocations, ${lambda.coldStarts} cold starts, max ${lambda.maxMemoryUsedMb} MB used`} />}
        </div>
      )}
      {failed.length > 0 && (
        <div className="error-box" data-testid="cloud-failed-ranks">
          <strong>Failed ranks</strong>
          <ul>
            {failed.map((f, i) => (
              <li key={i}>
                rank {f.rank ?? `#${f.index ?? '?'}`}
                {typeof f.dataPath === 'string' ? ` (${f.dataPath})` : ''}: <strong>{f.error}</strong> {f.cause.slice(0, 500)}
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
