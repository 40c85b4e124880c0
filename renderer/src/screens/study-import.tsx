import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import type { ImportView, StudyResults } from '../../../app/common/contract/index.ts';
import type { Table } from '../../../base/table.ts';
import { DataTable } from '../components/data-table.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { BrowseButton } from '../components/path-picker.tsx';
import { StudyResultsView } from '../components/study-results.tsx';
import { navigate } from '../lib/router.ts';
import { registerScreen } from './registry.ts';
import { ReportButtons } from '../components/report-buttons.tsx';
import '../study.css';

/** Import of recorded study results (a folder or an S3 prefix) into History, with Tables 2 and 3 from them. */

const importTable = (r: ImportView): Table => ({
  title: `Imported runs — ${r.from}`,
  columns: [
    { key: 'partitionMb', label: 'Partition', unit: 'MB' },
    { key: 'dataLabel', label: 'Data' },
    { key: 'sweep', label: 'Sweep' },
    { key: 'batchSize', label: 'Batch' },
    { key: 'repeat', label: 'Repeat' },
    { key: 'ranks', label: 'Ranks' },
    { key: 'cpuTimeSeconds', label: 'CPU time', unit: 's', digits: 2 },
    { key: 'memoryMb', label: 'Memory', unit: 'MB', digits: 1 },
    { key: 'throughputMbps', label: 'Throughput', unit: 'Mbps', digits: 2 },
    { key: 'history', label: 'History' },
    { key: 'source', label: 'File' },
  ],
  rows: r.runs.map((x) => ({ ...x, history: x.added ? 'added' : 'already there' })),
  note: 'CPU time: mean over ranks after dropping values outside 1.5×IQR; memory and throughput: summed over ranks (as the study did).',
});

function ImportScreen() {
  const [source, setSource] = useState('');
  const [profile, setProfile] = useState('');
  const [profiles, setProfiles] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [imported, setImported] = useState<ImportView | null>(null);
  const [results, setResults] = useState<StudyResults | null>(null);
  /** Lambda memory for the cost of runs that did not record it; empty = 10240 MB (the maximum), as the notes say. */
  const [memory, setMemory] = useState('');
  const s3 = source.trim().startsWith('s3://');
  const memoryMb = /^\d+$/.test(memory.trim()) ? Number(memory) : undefined;
  const memoryBad = memory.trim() !== '' && (memoryMb === undefined || memoryMb < 128 || memoryMb > 10240);
  const cost = memoryMb !== undefined && !memoryBad ? { lambdaMemoryMb: memoryMb } : undefined;

  useEffect(() => {
    api.cloud.listProfiles().then(
      (r) => setProfiles(r.profiles.map((p) => p.name)),
      () => setProfiles([]),
    );
  }, []);

  const go = async (example = false) => {
    setBusy(true);
    setError(null);
    setImported(null);
    setResults(null);
    try {
      const r = example
        ? await api.study.importExample()
        : await api.study.importRecorded({ source: source.trim(), ...(s3 && profile ? { profile } : {}) });
      setImported(r);
      setResults(
        await api.study.results({ selection: { runs: r.runs.map((x) => x.runId) }, ...(cost ? { cost } : {}) }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const ids = imported?.runs.map((r) => r.runId) ?? [];
  // A new Lambda memory re-prices Table 3 and the cost chart of what was imported.
  useEffect(() => {
    if (!imported || memoryBad) return;
    let live = true;
    api.study.results({ selection: { runs: imported.runs.map((x) => x.runId) }, ...(cost ? { cost } : {}) }).then(
      (r) => live && setResults(r),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [memoryMb, memoryBad]);
  return (
    <>
      <h1 className="page-title">Import recorded runs</h1>
      <p className="page-sub">
        Results the study left in its folder layout,{' '}
        <span className="mono">
          result-partition-&lt;P&gt;MB/&lt;data&gt;/[Batches/&lt;batch&gt;/]&lt;run&gt;/combined_data.json
        </span>
        , become runs in History.
      </p>
      <div className="card">
        <h2>Source</h2>
        <div className="row">
          <input
            style={{ flex: 1, minWidth: 320 }}
            value={source}
            placeholder="/path/to/results  or  s3://bucket/prefix"
            onChange={(e) => setSource(e.target.value)}
            data-testid="import-source"
          />
          <BrowseButton kind="folder" label="Browse…" onPick={(p) => setSource(p[0] ?? '')} />
          {s3 && (
            <select value={profile} onChange={(e) => setProfile(e.target.value)} aria-label="AWS profile">
              <option value="">{profiles.length === 1 ? `${profiles[0]} (the only one)` : 'AWS profile…'}</option>
              {profiles.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          )}
          <button className="primary" disabled={!source.trim() || busy} onClick={() => go()} data-testid="import-go">
            {busy ? 'Importing…' : 'Import'}
          </button>
        </div>
        <div className="row" style={{ marginTop: 8 }}>
          <label className="row" style={{ gap: 6 }}>
            Lambda memory (MB)
            <input
              type="number"
              min={128}
              max={10240}
              style={{ width: 110 }}
              value={memory}
              placeholder="10240"
              onChange={(e) => setMemory(e.target.value)}
              aria-invalid={memoryBad}
              data-testid="import-lambda-memory"
            />
          </label>
          <span className="muted">
            {memoryBad
              ? 'A whole number of MB from 128 to 10240.'
              : 'Used for the cost of runs that did not record it (empty: 10240 MB, the maximum).'}
          </span>
        </div>
        <p className="muted">
          Importing the same folder again adds nothing new. Files that cannot be read are listed with the reason.
        </p>
      </div>
      <div className="card" data-testid="import-example-card">
        <div className="card-head">
          <h2>No results of your own yet?</h2>
          <button disabled={busy} onClick={() => go(true)} data-testid="import-example">
            Import example data
          </button>
        </div>
        <p className="muted">
          Adds a small set of <strong>example data</strong> in the study’s layout (four partition sizes, 1 and 2 GB, a
          batch-size sweep) to History, named “Example data · …”. The numbers are made up, shaped after the study
          report’s tables: they show what the cloud half of the app looks like, they are not measurements.
        </p>
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="Could not import" />
      {imported && (
        <>
          {imported.example && (
            <p className="caveat" data-testid="import-example-label">
              Example data: made-up numbers, not measurements
            </p>
          )}
          <p data-testid="import-summary">
            {imported.runs.length} recorded run(s) from {imported.from}: {imported.runs.filter((r) => r.added).length}{' '}
            added to History, {imported.runs.filter((r) => !r.added).length} already there.
          </p>
          {(imported.problems.length > 0 || imported.ignored.length > 0) && (
            <div className="card" data-testid="import-problems">
              <h2>Left out</h2>
              <ul>
                {imported.problems.map((p) => (
                  <li key={p.source}>
                    <span className="mono">{p.source}</span>: {p.problem}
                  </li>
                ))}
                {imported.ignored.map((p) => (
                  <li key={p}>
                    <span className="mono">{p}</span>: outside the study’s layout, ignored
                  </li>
                ))}
              </ul>
            </div>
          )}
          <DataTable table={importTable(imported)} testId="import-table" />
          <div className="card">
            <div className="card-head">
              <h2>Report</h2>
              <div className="row">
                <ReportButtons selection={{ runs: ids }} cost={cost} />
                <button onClick={() => navigate('present', 'runs', ids.join(','))} data-testid="present">
                  Presentation mode
                </button>
              </div>
            </div>
          </div>
        </>
      )}
      {results && <StudyResultsView results={results} fileBase="recorded" />}
    </>
  );
}

registerScreen({ id: 'import', title: 'Import results', nav: 42, render: () => <ImportScreen /> });
