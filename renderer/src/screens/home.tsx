import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import type { HistoryItem } from '../../../app/common/contract/index.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { DemoBanner } from '../components/demo-banner.tsx';
import { useApp } from '../lib/app-state.ts';
import { formatRate, formatWhen } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { startLocalRun, useTrackedRun } from '../lib/run-tracker.ts';
import { registerScreen } from './registry.ts';

function Home() {
  const { settings } = useApp();
  const tracked = useTrackedRun();
  const [recent, setRecent] = useState<HistoryItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const running = tracked && !tracked.finished;

  useEffect(() => {
    api.history.list().then((r) => setRecent(r.items.slice(0, 6)), setError);
  }, []);

  const baseline = async () => {
    setStarting(true);
    setError(null);
    try {
      const d = settings?.defaults;
      await startLocalRun({
        batchSize: d?.batchSize,
        threads: d?.threads || undefined,
        graphOptimization: d?.graphOptimization,
        name: 'Local baseline',
      });
      navigate('run');
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  };

  return (
    <>
      <h1 className="page-title">CosmicAI Bench</h1>
      <p className="page-sub">
        AstroMAE redshift inference on this workstation and on AWS, measured the way the CosmicAI study measures it.
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <div className="card hero">
        <button
          className="primary big"
          onClick={running ? () => navigate('run') : baseline}
          disabled={starting}
          data-testid="run-baseline"
        >
          {running ? 'Show the running job' : 'Run the local baseline'}
        </button>
        <p>
          Runs the bundled reference model on the bundled synthetic sample data on this CPU — no files, no network. The
          reference model has seeded random weights, so its predictions are not physical; the timings are real. Choose
          your own model and data under <a href="#/run">Local run</a>.
        </p>
        <p className="muted" data-testid="home-cloud-hint">
          The cloud half: run on AWS under <a href="#/cloud">Cloud run</a>, import your recorded results, or, without
          AWS, import the <a href="#/import">example data</a> (made-up recorded results, labelled as example data) to
          see Tables 2 and 3.
        </p>
        <DemoBanner offer />
      </div>
      <div className="card">
        <div className="card-head">
          <h2>Recent runs</h2>
          <a href="#/history">All runs →</a>
        </div>
        {recent === null ? (
          <div className="empty">Loading…</div>
        ) : recent.length === 0 ? (
          <div className="empty">No runs yet. Start with the local baseline above.</div>
        ) : (
          <table className="data" data-testid="recent-runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>When</th>
                <th className="num">Samples/s (galaxies/s)</th>
              </tr>
            </thead>
            <tbody>
              {recent.map((r) =>
                r.damaged ? (
                  <tr key={r.id}>
                    <td>{r.id}</td>
                    <td>
                      <span className="badge damaged">damaged</span>
                    </td>
                    <td colSpan={2} className="muted">
                      {r.problem}
                    </td>
                  </tr>
                ) : (
                  <tr key={r.id}>
                    <td>
                      <a href={`#/results/${encodeURIComponent(r.id)}`}>{r.name}</a>
                    </td>
                    <td>
                      <span className={`badge ${r.status}`}>{r.status}</span>
                    </td>
                    <td className="nowrap">{formatWhen(r.createdAt)}</td>
                    <td className="num">{formatRate(r.headline.samplesPerSec)}</td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}

registerScreen({ id: 'home', title: 'Home', nav: 10, render: () => <Home /> });
