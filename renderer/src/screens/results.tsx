import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../api.ts';
import type { PredictionRow, RunEntry } from '../../../app/common/contract/index.ts';
import {
  accuracyTable,
  hostTable,
  latencyTable,
  partitionsTable,
  runLabels,
  runPrecision,
  summaryTable,
} from '../../../app/common/run-tables.ts';
import { ChartCard } from '../components/chart-card.tsx';
import { CloudHeadlineStats, CloudRunDetails } from '../components/cloud-run-details.tsx';
import { RankTimelineCard } from '../components/rank-timeline-card.tsx';
import { DataTable } from '../components/data-table.tsx';
import { ErrorBox } from '../components/error-box.tsx';
import { accent, textColor, type AnyChartConfig } from '../lib/charts.ts';
import { formatRate, formatWhen } from '../lib/format.ts';
import { registerScreen } from './registry.ts';
import { EXECUTION_TIME } from '../../../base/metric-keys.ts';
import { DEFINITIONS, type MetricKey } from '../../../base/metric-catalogue.ts';
import { recordDefinitions } from '../../../base/record-definitions.ts';

/** The tooltip of a stat: the definition that produced its number (base/metric-catalogue.ts). */
function definitionTitle(record: unknown, key: MetricKey): string | undefined {
  const id = recordDefinitions(record)[key];
  return id ? `${DEFINITIONS[id].label}: ${DEFINITIONS[id].text}` : undefined;
}

const SCATTER_POINTS = 20_000;

type Loaded = {
  entry: RunEntry;
  partitions: Array<Record<string, unknown>>;
  predictions: { rows: PredictionRow[]; total: number };
};

function Stat({ k, v, testId, title }: { k: string; v: string; testId?: string; title?: string }) {
  return (
    <div className="stat" title={title}>
      <div className="k">{k}</div>
      <div className="v" data-testid={testId}>
        {v}
      </div>
    </div>
  );
}

function Scatter({ entry, rows, total }: { entry: RunEntry; rows: PredictionRow[]; total: number }) {
  const labelled = useMemo(() => rows.filter((r) => r.z_true !== null), [rows]);
  const build = useCallback((): AnyChartConfig => {
    const pts = labelled.map((r) => ({ x: r.z_true as number, y: r.z_pred }));
    const all = pts.flatMap((p) => [p.x, p.y]);
    // The same range on both axes, so y = x is the diagonal.
    const min = Math.min(0, ...all);
    const max = Math.max(...all, 0.1);
    const pad = (max - min) * 0.03;
    const lo = Number((min - pad).toFixed(3));
    const hi = Number((max + pad).toFixed(3));
    return {
      type: 'scatter',
      data: {
        datasets: [
          {
            type: 'scatter',
            label: 'galaxies',
            data: pts,
            backgroundColor: accent() + '88',
            pointRadius: pts.length > 5000 ? 1.5 : 3,
          },
          {
            type: 'line',
            label: 'y = x',
            data: [
              { x: lo, y: lo },
              { x: hi, y: hi },
            ],
            borderColor: textColor(),
            borderDash: [6, 6],
            pointRadius: 0,
            borderWidth: 1.5,
          },
        ],
      },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', min: lo, max: hi, title: { display: true, text: 'true redshift z' } },
          y: { type: 'linear', min: lo, max: hi, title: { display: true, text: 'predicted redshift z' } },
        },
      },
    };
  }, [labelled]);
  if (!labelled.length)
    return (
      <div className="card">
        <h2>Predicted vs true redshift</h2>
        <div className="empty">
          {rows.length === 0
            ? 'This run has no stored predictions.'
            : 'This data has no redshift labels, so there is nothing to compare the predictions with.'}
        </div>
      </div>
    );
  return (
    <ChartCard title="Predicted vs true redshift" build={build} fileName={`${entry.id}-scatter`} testId="scatter">
      <div className="muted" style={{ fontSize: '0.85rem' }}>
        {labelled.length < total
          ? `${labelled.length.toLocaleString()} of ${total.toLocaleString()} galaxies shown (evenly sampled). `
          : ''}
        The dashed line is y = x (a perfect prediction).
      </div>
    </ChartCard>
  );
}

function Results({ id }: { id: string }) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setData(null);
    setError(null);
    (async () => {
      const got = await api.history.get({ id });
      const predictions = await api.history
        .predictions({ id, limit: SCATTER_POINTS })
        .catch(() => ({ rows: [], total: 0 }));
      setData({ ...got, predictions });
    })().catch(setError);
  }, [id]);

  const tables = useMemo(() => {
    if (!data) return null;
    const { entry, partitions } = data;
    return {
      summary: summaryTable(entry),
      parts: partitionsTable(entry, partitions),
      latency: latencyTable(entry, partitions),
      accuracy: accuracyTable(entry),
      host: hostTable(entry),
    };
  }, [data]);

  if (error) return <ErrorBox error={error} title="Could not open this run" />;
  if (!data || !tables) return <div className="empty">Loading…</div>;
  const { entry } = data;
  const rec: Record<string, unknown> = entry.record ?? {};
  const n = (k: string) => (typeof rec[k] === 'number' ? (rec[k] as number) : undefined);
  const acc = rec.accuracy as { mae?: number } | null | undefined;

  return (
    <>
      <div className="row">
        <h1 className="page-title" data-testid="results-title">
          {entry.name}
        </h1>
        <span className={`badge ${entry.status}`} data-testid="run-status">
          {entry.status}
        </span>
      </div>
      <p className="page-sub">
        {entry.kind} run · {formatWhen(entry.createdAt)} · <span className="mono">{entry.id}</span>
      </p>
      <div data-testid="caveats">
        {runLabels(entry).map((l) => (
          <span key={l} className="caveat">
            {l}
          </span>
        ))}
      </div>
      {entry.error && (
        <ErrorBox
          error={entry.error}
          title={entry.status === 'failed' ? 'The run failed' : 'Some partitions had problems'}
        />
      )}
      {entry.kind === 'cloud' ? (
        entry.record && (
          <div className="stats" data-testid="cloud-stats">
            <CloudHeadlineStats entry={entry} />
          </div>
        )
      ) : (
        <div className="stats">
          <Stat
            k="Samples/s"
            v={formatRate(n('sample_persec'))}
            testId="stat-samples-per-sec"
            title={definitionTitle(entry.record, 'sample_persec')}
          />
          <Stat k="Precision" v={runPrecision(entry) ?? '—'} testId="stat-precision" />
          <Stat
            k="Time per batch (s)"
            v={n(EXECUTION_TIME)?.toFixed(4) ?? '—'}
            title={definitionTitle(entry.record, EXECUTION_TIME)}
          />
          <Stat
            k="Throughput (Mbit/s)"
            v={formatRate((n('throughput_bps') ?? NaN) / 1e6)}
            title={definitionTitle(entry.record, 'throughput_bps')}
          />
          <Stat k="Galaxies" v={n('samples')?.toLocaleString() ?? '—'} />
          {acc?.mae !== undefined && <Stat k="MAE (z)" v={acc.mae.toFixed(4)} />}
        </div>
      )}
      {entry.kind === 'cloud' && <CloudRunDetails entry={entry} />}
      {entry.kind === 'cloud' && entry.record && (
        <RankTimelineCard record={entry.record as Record<string, unknown>} fileBase={`cloud-run-${entry.id}`} />
      )}
      {!entry.record && <div className="notice">This run left no record (it did not get far enough).</div>}
      {entry.record && <DataTable table={tables.summary} testId="summary-table" />}
      <div className="grid-2">
        {/* A cloud run's workers write the study's aggregates, not per-galaxy predictions: no scatter without them. */}
        {!(entry.kind === 'cloud' && data.predictions.total === 0) && (
          <Scatter entry={entry} rows={data.predictions.rows} total={data.predictions.total} />
        )}
        {tables.accuracy && <DataTable table={tables.accuracy} testId="accuracy-table" />}
      </div>
      {tables.parts.rows.length > 0 && <DataTable table={tables.parts} testId="partitions-table" />}
      <div className="grid-2">
        {tables.latency && <DataTable table={tables.latency} testId="latency-table" />}
        {tables.host && <DataTable table={tables.host} testId="host-table" />}
      </div>
    </>
  );
}

registerScreen({
  id: 'results',
  title: 'Run results',
  render: ([id]) =>
    id ? (
      <Results id={id} />
    ) : (
      <div className="empty">
        Choose a run in <a href="#/history">History</a>.
      </div>
    ),
});
