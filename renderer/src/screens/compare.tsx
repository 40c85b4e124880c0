import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import type { RunEntry } from '../../../app/common/contract/index.ts';
import { compareTable, runLabels } from '../../../app/common/run-tables.ts';
import { DataTable } from '../components/data-table.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { formatWhen } from '../lib/format.ts';
import { registerScreen } from './registry.ts';

function Side({ tag, e }: { tag: string; e: RunEntry }) {
  return (
    <div className="card">
      <h2>
        {tag}: <a href={`#/results/${encodeURIComponent(e.id)}`}>{e.name}</a>
      </h2>
      <div className="muted">
        {e.kind} · {formatWhen(e.createdAt)} · <span className={`badge ${e.status}`}>{e.status}</span>
      </div>
      <div className="muted">{[e.headline.model, e.headline.data].filter(Boolean).join(' · ')}</div>
      <div style={{ marginTop: 8 }}>
        {runLabels(e).map((l) => (
          <span key={l} className="caveat">
            {l}
          </span>
        ))}
      </div>
    </div>
  );
}

function Compare({ a, b }: { a: string; b: string }) {
  const [runs, setRuns] = useState<[RunEntry, RunEntry] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    Promise.all([api.history.get({ id: a }), api.history.get({ id: b })]).then(([x, y]) => setRuns([x.entry, y.entry]), setError);
  }, [a, b]);
  if (error) return <ErrorBox error={error} title="Could not open these runs" />;
  if (!runs) return <div className="empty">Loading…</div>;
  return (
    <>
      <h1 className="page-title">Compare runs</h1>
      <p className="page-sub">The same metrics for both runs; "B ÷ A" above 1 means B's value is larger.</p>
      <div className="grid-2">
        <Side tag="A" e={runs[0]} />
        <Side tag="B" e={runs[1]} />
      </div>
      <DataTable table={compareTable(runs[0], runs[1])} testId="compare-table" />
    </>
  );
}

registerScreen({ id: 'compare', title: 'Compare', render: ([a, b]) => (a && b ? <Compare a={a} b={b} /> : <div className="empty">Tick two runs in <a href="#/history">History</a>, then press Compare.</div>) });
