import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import type { ComparisonView, HistoryItem, RunEntry } from '../../../app/common/contract/index.ts';
import { compareTable, emulatedMixWarning, runLabels, runPrecision } from '../../../app/common/run-tables.ts';
import { DemoBanner } from '../components/demo-banner.tsx';
import { DataTable } from '../components/data-table.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { ComparisonViewCard } from '../components/study-results.tsx';
import { formatWhen } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { ReportButtons } from '../components/report-buttons.tsx';
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
      {runPrecision(e) && (
        <div className="muted" data-testid={`compare-precision-${tag}`}>
          precision <strong>{runPrecision(e)}</strong>
        </div>
      )}
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

/** Two pickers over History: a local and a cloud run, or any two. */
function Picker({ a, b }: { a?: string; b?: string }) {
  const [items, setItems] = useState<Array<Extract<HistoryItem, { damaged: false }>> | null>(null);
  const [x, setX] = useState(a ?? '');
  const [y, setY] = useState(b ?? '');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.history.list().then((r) => {
      const ok = r.items.filter(
        (i): i is Extract<HistoryItem, { damaged: false }> => !i.damaged && i.status === 'completed',
      );
      setItems(ok);
      if (!a) setX(ok.find((i) => i.kind === 'local')?.id ?? ok[0]?.id ?? '');
      if (!b) setY(ok.find((i) => i.kind === 'cloud' || i.kind === 'recorded')?.id ?? ok[1]?.id ?? '');
    }, setError);
  }, [a, b]);
  const option = (i: Extract<HistoryItem, { damaged: false }>) => (
    <option key={i.id} value={i.id}>
      [{i.kind}
      {i.headline.precision ? ` ${i.headline.precision}` : ''}] {i.name} · {formatWhen(i.createdAt)}
    </option>
  );
  return (
    <div className="card" data-testid="compare-picker">
      <h2>Pick two runs</h2>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {items === null ? (
        <div className="empty">Loading…</div>
      ) : items.length < 2 ? (
        <div className="empty">
          Two finished runs are needed: run locally, in the cloud, or import recorded runs (or the{' '}
          <a href="#/import">example data</a>, labelled as such).
        </div>
      ) : (
        <div className="row">
          <select
            aria-label="Run A"
            value={x}
            onChange={(e) => setX(e.target.value)}
            style={{ flex: 1, minWidth: 260 }}
          >
            {items.map(option)}
          </select>
          <span>vs</span>
          <select
            aria-label="Run B"
            value={y}
            onChange={(e) => setY(e.target.value)}
            style={{ flex: 1, minWidth: 260 }}
          >
            {items.map(option)}
          </select>
          <button
            className="primary"
            disabled={!x || !y || x === y}
            onClick={() => navigate('compare', x, y)}
            data-testid="compare-go"
          >
            Compare
          </button>
        </div>
      )}
    </div>
  );
}

function Compare({ a, b }: { a: string; b: string }) {
  const [runs, setRuns] = useState<[RunEntry, RunEntry] | null>(null);
  const [cmp, setCmp] = useState<ComparisonView | null>(null);
  const [cmpError, setCmpError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    Promise.all([api.history.get({ id: a }), api.history.get({ id: b })]).then(
      ([x, y]) => setRuns([x.entry, y.entry]),
      setError,
    );
    api.study.compare({ a, b }).then(setCmp, setCmpError);
  }, [a, b]);
  if (error) return <ErrorBox error={error} title="Could not open these runs" />;
  if (!runs) return <div className="empty">Loading…</div>;
  return (
    <>
      <h1 className="page-title">Compare runs</h1>
      <p className="page-sub">
        The study’s comparison with notes worked out from the numbers, then every metric of both runs.
      </p>
      <Picker a={a} b={b} />
      {emulatedMixWarning(runs[0], runs[1]) && (
        <div
          className="card"
          role="alert"
          data-testid="compare-emulated-warning"
          style={{ background: 'var(--warn-soft)', color: 'var(--warn)', fontWeight: 600 }}
        >
          {emulatedMixWarning(runs[0], runs[1])}
        </div>
      )}
      <div className="grid-2">
        <Side tag="A" e={runs[0]} />
        <Side tag="B" e={runs[1]} />
      </div>
      {cmp && (
        <>
          <ComparisonViewCard cmp={cmp} />
          <div className="card">
            <div className="card-head">
              <h2>Report of these two runs</h2>
              <div className="row">
                <ReportButtons selection={{ runs: [a, b] }} compare={{ a, b }} />
              </div>
            </div>
          </div>
        </>
      )}
      {cmpError ? (
        <p className="muted" data-testid="study-compare-unavailable">
          No study comparison for these runs: {(cmpError as { message?: string }).message ?? String(cmpError)}
        </p>
      ) : null}
      <p className="page-sub">"B ÷ A" above 1 means B's value is larger.</p>
      <DataTable table={compareTable(runs[0], runs[1])} testId="compare-table" />
    </>
  );
}

registerScreen({
  id: 'compare',
  title: 'Compare',
  nav: 32,
  render: ([a, b]) =>
    a && b ? (
      <Compare key={`${a}/${b}`} a={a} b={b} />
    ) : (
      <>
        <h1 className="page-title">Compare runs</h1>
        <p className="page-sub">
          A local and a cloud run side by side, or any two runs from History (also imported recorded runs).
        </p>
        <DemoBanner offer />
        <Picker />
      </>
    ),
});
