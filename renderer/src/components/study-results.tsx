import type { ComparisonView, StudyResults } from '../../../app/common/contract/index.ts';
import { DataTable } from './data-table.tsx';
import { StudyChartCard } from './study-chart.tsx';

const tableTestId = (title: string) => {
  const m = /^Table (\d)/.exec(title);
  return m ? `study-table-${m[1]}` : 'study-table';
};

/** A study's findings, Tables 1–3 (with their exports) and charts (PNG and SVG), from a study or from History runs. */
export function StudyResultsView({ results, fileBase }: { results: StudyResults; fileBase: string }) {
  if (results.runs === 0)
    return (
      <div className="card">
        <div className="empty">No finished runs yet: the tables and charts appear as jobs finish.</div>
      </div>
    );
  return (
    <>
      <div className="card" data-testid="study-findings">
        <h2>Findings</h2>
        <ul className="findings">
          {results.findings.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
        {results.skipped.length > 0 && (
          <div className="table-note">Left out: {results.skipped.map((s) => `${s.id} (${s.problem})`).join('; ')}</div>
        )}
      </div>
      {results.tables.map((t) => (
        <DataTable key={t.title} table={t} testId={tableTestId(t.title)} />
      ))}
      <div className="grid-2">
        {results.charts.map((c) => (
          <StudyChartCard key={c.id} chart={c} fileBase={fileBase} />
        ))}
      </div>
    </>
  );
}

/** The comparison of two runs: the table with its Notes column, and how each side measured its metrics. */
export function ComparisonViewCard({ cmp }: { cmp: ComparisonView }) {
  return (
    <>
      {!cmp.comparable && (
        <div className="card warn" role="note" data-testid="compare-warnings">
          <h2>Not like with like</h2>
          <p>No "% faster" is concluded where the runs differ:</p>
          <ul>
            {cmp.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      <DataTable table={cmp.table} testId="study-compare-table" />
      <div className="card" data-testid="measured-how">
        <h2>How each side measured</h2>
        {cmp.measuredHow.map((m) => (
          <p key={m.label}>
            <strong>{m.label}:</strong> {m.text}
          </p>
        ))}
      </div>
    </>
  );
}
