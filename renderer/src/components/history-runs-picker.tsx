import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import type { HistoryItem, StudyResults } from '../../../app/common/contract/index.ts';
import { formatWhen } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { ErrorBox } from './error-box.tsx';
import { StudyResultsView } from './study-results.tsx';

type Item = Extract<HistoryItem, { damaged: false }>;

/** Tables 1–3 and the charts from any finished runs in History (local, cloud, imported recorded runs). */
export function HistoryRunsStudy({ reportButtons }: { reportButtons: (ids: string[]) => React.ReactNode }) {
  const [items, setItems] = useState<Item[] | null>(null);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [results, setResults] = useState<StudyResults | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (open && !items)
      api.history
        .list()
        .then((r) => setItems(r.items.filter((i): i is Item => !i.damaged && i.status === 'completed')), setError);
  }, [open, items]);
  const toggle = (id: string) =>
    setPicked((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  /** Adds every run of a kind to what is ticked (it used to replace the selection). */
  const pickKind = (kind: string) =>
    setPicked((s) => new Set([...s, ...items!.filter((i) => i.kind === kind).map((i) => i.id)]));
  const show = async () => {
    try {
      setResults(await api.study.results({ selection: { runs: [...picked] } }));
    } catch (e) {
      setError(e);
    }
  };
  const ids = [...picked];
  return (
    <>
      <div className="card" data-testid="history-study">
        <div className="card-head">
          <h2>Tables from History runs</h2>
          <button onClick={() => setOpen(!open)}>{open ? 'Hide' : 'Choose runs…'}</button>
        </div>
        <p className="muted">Any finished runs, including imported recorded ones, as Tables 1–3 with their charts.</p>
        <ErrorBox error={error} onDismiss={() => setError(null)} />
        {open && items && (
          <>
            <div className="row" style={{ marginBottom: 8 }}>
              {[...new Set(items.map((i) => i.kind))].map((k) => (
                <button key={k} className="small" onClick={() => pickKind(k)} title={`Tick every ${k} run as well`}>
                  + All {k} runs
                </button>
              ))}
              <button className="small" onClick={() => setPicked(new Set())}>
                None
              </button>
              <span className="spacer" />
              <button className="primary" disabled={picked.size === 0} onClick={show} data-testid="history-study-show">
                Show tables ({picked.size})
              </button>
              {picked.size > 0 && reportButtons(ids)}
              {picked.size > 0 && (
                <button onClick={() => navigate('present', 'runs', ids.join(','))}>Presentation mode</button>
              )}
            </div>
            <div className="table-wrap" style={{ maxHeight: 320, overflow: 'auto' }}>
              <table className="data">
                <tbody>
                  {items.map((i) => (
                    <tr key={i.id}>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Use ${i.name}`}
                          checked={picked.has(i.id)}
                          onChange={() => toggle(i.id)}
                        />
                      </td>
                      <td>
                        <span className="badge">{i.kind}</span>{' '}
                        {i.headline.precision === 'int8' && <span className="badge">int8</span>} {i.name}
                      </td>
                      <td className="nowrap muted">{formatWhen(i.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </div>
      {results && <StudyResultsView results={results} fileBase="history-runs" />}
    </>
  );
}
