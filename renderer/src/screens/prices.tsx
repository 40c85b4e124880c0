import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { toast } from '../lib/toast.ts';
import { registerScreen } from './registry.ts';
import '../study.css';

/** The price table the cost model uses: every price editable, with its source and date; checked before it is saved. */

type Prices = Awaited<ReturnType<typeof api.study.prices>>;
type Table = Prices['table'];

interface Field {
  label: string;
  unit: string;
  get: (t: Table) => number;
  set: (t: Table, v: number) => void;
}

const FIELDS: Field[] = [
  {
    label: 'Lambda requests',
    unit: '$ per million',
    get: (t) => t.lambda.usdPerMillionRequests,
    set: (t, v) => void (t.lambda.usdPerMillionRequests = v),
  },
  {
    label: 'Ephemeral storage above the free size',
    unit: '$ per GB-s',
    get: (t) => t.lambda.usdPerEphemeralGbSecond,
    set: (t, v) => void (t.lambda.usdPerEphemeralGbSecond = v),
  },
  {
    label: 'Free ephemeral storage',
    unit: 'MB',
    get: (t) => t.lambda.freeEphemeralMb,
    set: (t, v) => void (t.lambda.freeEphemeralMb = v),
  },
  {
    label: 'Step Functions standard state transitions',
    unit: '$ per 1,000',
    get: (t) => t.stepFunctions.usdPerThousandStandardTransitions,
    set: (t, v) => void (t.stepFunctions.usdPerThousandStandardTransitions = v),
  },
  {
    label: 'S3 PUT, COPY, POST, LIST',
    unit: '$ per 1,000',
    get: (t) => t.s3.usdPerThousandWrites,
    set: (t, v) => void (t.s3.usdPerThousandWrites = v),
  },
  {
    label: 'S3 GET and other requests',
    unit: '$ per 1,000',
    get: (t) => t.s3.usdPerThousandReads,
    set: (t, v) => void (t.s3.usdPerThousandReads = v),
  },
];

const billions = (gbs: number) => `${(gbs / 1e9).toLocaleString()} billion GB-s`;

/** "first 6 billion GB-s a month", "up to 15 billion GB-s a month", "above 15 billion GB-s a month". */
function tierLabel(tiers: Array<{ upToGbSeconds: number | null }>, i: number): string {
  const up = tiers[i].upToGbSeconds;
  if (up === null) return i === 0 ? 'every GB-s' : `above ${billions(tiers[i - 1].upToGbSeconds ?? 0)} a month`;
  return i === 0 ? `first ${billions(up)} a month` : `up to ${billions(up)} a month`;
}

function PricesScreen() {
  const [p, setP] = useState<Prices | null>(null);
  const [draft, setDraft] = useState<Table | null>(null);
  const [error, setError] = useState<unknown>(null);
  // The inputs keep their own text while typing; a new version (saved, reset) refills them.
  const [version, setVersion] = useState(0);
  const load = (r: Prices) => {
    setVersion((v) => v + 1);
    setP(r);
    setDraft(structuredClone(r.table));
  };
  useEffect(() => {
    api.study.prices().then(load, setError);
  }, []);
  if (!draft || !p)
    return error ? (
      <ErrorBox error={error} title="Could not read the price table" />
    ) : (
      <div className="empty">Loading…</div>
    );
  const edit = (f: (t: Table) => void) =>
    setDraft((d) => {
      const t = structuredClone(d!);
      f(t);
      return t;
    });
  const num = (v: string) => (v.trim() === '' ? Number.NaN : Number(v));
  const save = async () => {
    try {
      load(await api.study.setPrices({ table: draft }));
      setError(null);
      toast('Prices saved');
    } catch (e) {
      setError(e);
    }
  };
  const reset = async () => {
    try {
      load(await api.study.resetPrices());
      setError(null);
      toast('Back to the default prices');
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <h1 className="page-title">Prices</h1>
      <p className="page-sub">What the cost estimates and Table 3 charge. Free tiers are not applied.</p>
      <div className="card" data-testid="price-source">
        <h2>{p.custom ? 'Your prices' : 'Default prices'}</h2>
        <p>
          <strong>Region</strong> {p.table.region} · <strong>as of</strong> {p.table.asOf}
        </p>
        <p className="muted">Source: {p.table.source}</p>
        <p className="muted">
          Kept in {p.file}
          {p.custom ? '' : ' once you save changes'}.
        </p>
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} title="These prices cannot be saved" />
      <div className="card">
        <h2>Edit</h2>
        <div className="study-form">
          <label>
            Region
            <input value={draft.region} onChange={(e) => edit((t) => void (t.region = e.target.value))} />
          </label>
          <label>
            Prices read on (YYYY-MM-DD)
            <input
              value={draft.asOf}
              onChange={(e) => edit((t) => void (t.asOf = e.target.value))}
              data-testid="price-asof"
            />
          </label>
          <label className="wide">
            Source
            <input
              value={draft.source}
              onChange={(e) => edit((t) => void (t.source = e.target.value))}
              data-testid="price-source-input"
            />
          </label>
        </div>
        <table className="data" data-testid="price-table" key={version}>
          <thead>
            <tr>
              <th>Item</th>
              <th className="num">Price</th>
              <th>Unit</th>
            </tr>
          </thead>
          <tbody>
            {(['x86_64', 'arm64'] as const).flatMap((arch) =>
              draft.lambda.computeTiers[arch].map((tier, i) => (
                <tr key={`${arch}-${i}`}>
                  <td>
                    Lambda compute, {arch}, {tierLabel(draft.lambda.computeTiers[arch], i)}
                  </td>
                  <td className="num">
                    <input
                      className="price-input"
                      aria-label={`Lambda compute ${arch} tier ${i + 1}`}
                      defaultValue={String(tier.usdPerGbSecond)}
                      onChange={(e) =>
                        edit((t) => void (t.lambda.computeTiers[arch][i].usdPerGbSecond = num(e.target.value)))
                      }
                    />
                  </td>
                  <td>$ per GB-s</td>
                </tr>
              )),
            )}
            {FIELDS.map((f) => (
              <tr key={f.label}>
                <td>{f.label}</td>
                <td className="num">
                  <input
                    className="price-input"
                    aria-label={f.label}
                    defaultValue={String(f.get(draft))}
                    onChange={(e) => edit((t) => f.set(t, num(e.target.value)))}
                  />
                </td>
                <td>{f.unit}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="row" style={{ marginTop: 12 }}>
          <button className="primary" onClick={save} data-testid="price-save">
            Save prices
          </button>
          <button onClick={reset}>Reset to the defaults</button>
        </div>
      </div>
    </>
  );
}

registerScreen({ id: 'prices', title: 'Prices', nav: 44, render: () => <PricesScreen key="prices" /> });
