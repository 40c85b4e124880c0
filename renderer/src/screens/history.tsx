import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { EMULATED_LABEL, type HistoryItem } from '../../../app/common/contract/index.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { formatRate, formatWhen } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { toast } from '../lib/toast.ts';
import { registerScreen } from './registry.ts';

function RenameCell({ id, name, onDone }: { id: string; name: string; onDone: (err?: unknown) => void }) {
  const [value, setValue] = useState(name);
  return (
    <form
      className="row"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.history.rename({ id, name: value });
          onDone();
        } catch (err) {
          onDone(err);
        }
      }}
    >
      <input
        aria-label="New name"
        autoFocus
        value={value}
        onChange={(e) => setValue(e.target.value)}
        style={{ flex: 1 }}
      />
      <button className="small primary" type="submit">
        Save
      </button>
      <button className="small" type="button" onClick={() => onDone()}>
        Cancel
      </button>
    </form>
  );
}

function History() {
  const [items, setItems] = useState<HistoryItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);

  const load = () => api.history.list().then((r) => setItems(r.items), setError);
  useEffect(() => {
    void load();
  }, []);

  const del = async (id: string) => {
    try {
      await api.history.delete({ id });
      setSelected((s) => s.filter((x) => x !== id));
      toast('Deleted');
    } catch (err) {
      setError(err);
    }
    setConfirmDelete(null);
    void load();
  };
  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s.slice(-1), id]));

  return (
    <>
      <h1 className="page-title">History</h1>
      <p className="page-sub">Every run is kept in the data folder. Tick two runs to compare them side by side.</p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <div className="card">
        <div className="card-head">
          <h2>{items ? `${items.length} run${items.length === 1 ? '' : 's'}` : 'Runs'}</h2>
          <div className="row">
            <button onClick={() => load()}>Reload</button>
            <button
              className="primary"
              disabled={selected.length !== 2}
              onClick={() => navigate('compare', selected[0], selected[1])}
              data-testid="compare"
            >
              Compare {selected.length}/2
            </button>
          </div>
        </div>
        {items === null ? (
          <div className="empty">Loading…</div>
        ) : items.length === 0 ? (
          <div className="empty">No runs yet.</div>
        ) : (
          <table className="data wide" data-testid="history-table">
            <thead>
              <tr>
                <th />
                <th className="run-col">Run</th>
                <th>Status</th>
                <th>When</th>
                <th>Precision</th>
                <th className="num">Galaxies</th>
                <th className="num">Samples/s</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((r) =>
                r.damaged ? (
                  <tr key={r.id} data-testid="history-row" data-damaged="true">
                    <td />
                    <td className="mono">{r.id}</td>
                    <td>
                      <span className="badge damaged">damaged</span>
                    </td>
                    <td colSpan={4} className="muted" style={{ fontSize: '0.85rem' }}>
                      {r.problem}
                    </td>
                    <td>
                      <button
                        className="small danger"
                        onClick={() => (confirmDelete === r.id ? del(r.id) : setConfirmDelete(r.id))}
                      >
                        {confirmDelete === r.id ? 'Confirm delete' : 'Delete'}
                      </button>
                    </td>
                  </tr>
                ) : (
                  <tr key={r.id} data-testid="history-row" data-id={r.id}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select ${r.name}`}
                        checked={selected.includes(r.id)}
                        onChange={() => toggle(r.id)}
                      />
                    </td>
                    <td>
                      {renaming === r.id ? (
                        <RenameCell
                          id={r.id}
                          name={r.name}
                          onDone={(err) => {
                            setRenaming(null);
                            if (err) setError(err);
                            void load();
                          }}
                        />
                      ) : (
                        <>
                          <a href={`#/results/${encodeURIComponent(r.id)}`}>{r.name}</a>
                          {r.headline.emulated && (
                            <span className="caveat" data-testid="history-emulated" style={{ marginLeft: 8 }}>
                              {EMULATED_LABEL}
                            </span>
                          )}
                          <div className="muted" style={{ fontSize: '0.8rem' }}>
                            {[
                              r.headline.model,
                              r.headline.data,
                              r.headline.batchSize ? `batch ${r.headline.batchSize}` : null,
                            ]
                              .filter(Boolean)
                              .join(' · ')}
                          </div>
                        </>
                      )}
                    </td>
                    <td>
                      <span className={`badge ${r.status}`}>{r.status}</span>
                    </td>
                    <td style={{ minWidth: '6.5rem' }}>{formatWhen(r.createdAt)}</td>
                    <td data-testid="history-precision">{r.headline.precision ?? '—'}</td>
                    <td className="num">{r.headline.samples?.toLocaleString() ?? '—'}</td>
                    <td className="num">{formatRate(r.headline.samplesPerSec)}</td>
                    <td>
                      <div className="row" style={{ gap: 6 }}>
                        <button className="small" onClick={() => setRenaming(r.id)}>
                          Rename
                        </button>
                        <button
                          className="small danger"
                          onClick={() => (confirmDelete === r.id ? del(r.id) : setConfirmDelete(r.id))}
                        >
                          {confirmDelete === r.id ? 'Confirm delete' : 'Delete'}
                        </button>
                      </div>
                    </td>
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

registerScreen({ id: 'history', title: 'History', nav: 30, render: () => <History /> });
