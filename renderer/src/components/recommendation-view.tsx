import { useEffect, useMemo, useState } from 'react';
import { api } from '../api.ts';
import type { RecommendationGroupView, RecommendationView } from '../../../app/common/contract/index.ts';
import { memoryChartSvg } from '../../../base/svg-memory-chart.ts';
import type { Table } from '../../../base/table.ts';
import { saveFile } from '../lib/download.ts';
import { toast } from '../lib/toast.ts';
import { DataTable } from './data-table.tsx';
import { ErrorBox } from './error-box.tsx';
import '../recommend.css';

/**
 * The Lambda memory recommendation (`study.recommend`): for each like-with-like group of cloud runs, the three picks
 * with the numbers behind them, cost vs duration per memory size (SVG, labelled with MB, the picks ringed), and the
 * table with its exports. The balanced weight is a slider and a number; the strategy chooses the recommended pick.
 */

type Selection = { study: string } | { runs: string[] } | { history: 'cloud' };
type Strategy = 'cost' | 'speed' | 'balanced';

const PICK_TITLE: Record<Strategy, string> = { cost: 'Cheapest', speed: 'Fastest', balanced: 'Balanced' };

/** SVG → PNG through an <img> and a canvas (the CSP allows data: images). */
async function svgToPng(svg: string, width: number, height: number): Promise<string> {
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = width * 2;
  canvas.height = height * 2;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(2, 2);
  ctx.drawImage(img, 0, 0, width, height);
  return canvas.toDataURL('image/png');
}

function GroupCard({ g, index, strategy }: { g: RecommendationGroupView; index: number; strategy: Strategy }) {
  const svg = useMemo(() => memoryChartSvg(g.chart, { width: 720, height: 420 }), [g.chart]);
  const file = `memory-recommendation-${index + 1}`;
  const saveSvg = async () => {
    if (await saveFile(`${file}.svg`, svg, 'image/svg+xml')) toast('Saved SVG');
  };
  const savePng = async () => {
    const dataUrl = await svgToPng(svg, 720, 420);
    if (await saveFile(`${file}.png`, { dataUrl }, 'image/png')) toast('Saved PNG');
  };
  return (
    <div className="card" data-testid="recommend-group">
      <div className="card-head">
        <h2 data-testid="recommend-group-label">{g.label}</h2>
      </div>
      <p className="recommend-headline" data-testid="recommend-recommended">
        Recommended: <strong>{g.recommended.memoryMb} MB</strong> ({PICK_TITLE[strategy].toLowerCase()})
      </p>
      <div className="recommend-picks">
        {(['cost', 'speed', 'balanced'] as const).map((s) => (
          <div
            key={s}
            className={`recommend-pick${s === strategy ? ' chosen' : ''}`}
            data-testid={`recommend-pick-${s}`}
          >
            <div className="recommend-pick-title">{PICK_TITLE[s]}</div>
            <div className="recommend-pick-mb" data-testid={`recommend-pick-${s}-mb`}>
              {g.picks[s].memoryMb} MB
            </div>
            <div className="recommend-pick-text">{g.picks[s].sentence}</div>
          </div>
        ))}
      </div>
      {g.notes.length > 0 && (
        <ul className="recommend-notes">
          {g.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <div className="row" style={{ justifyContent: 'flex-end' }}>
        <button className="small" onClick={saveSvg} title="Save this chart as SVG (vector, for papers)">
          SVG
        </button>
        <button className="small" onClick={savePng} title="Save this chart as PNG">
          PNG
        </button>
      </div>
      {/* Built by memoryChartSvg from numbers and escaped labels only: no markup from outside. */}
      <div className="recommend-chart" data-testid="recommend-chart" dangerouslySetInnerHTML={{ __html: svg }} />
    </div>
  );
}

export function RecommendationPanel({ selection }: { selection: Selection }) {
  const [weightText, setWeightText] = useState('0.5');
  const [strategy, setStrategy] = useState<Strategy>('balanced');
  const [view, setView] = useState<RecommendationView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [weightError, setWeightError] = useState<string | null>(null);
  const key = JSON.stringify(selection);

  useEffect(() => {
    const w = Number(weightText);
    if (weightText.trim() === '' || !Number.isFinite(w) || w < 0 || w > 1) {
      setWeightError('The weight is a number from 0 (fastest) to 1 (cheapest).');
      return;
    }
    setWeightError(null);
    let live = true;
    const t = setTimeout(() => {
      api.study.recommend({ selection: JSON.parse(key) as Selection, weight: w, strategy }).then(
        (v) => live && (setView(v), setError(null)),
        (e) => live && setError(e),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [key, weightText, strategy]);

  return (
    <>
      <div className="card" data-testid="recommend-controls">
        <h2>Lambda memory recommendation</h2>
        <p className="muted">
          As AWS Lambda Power Tuning: for each memory size, the mean cost of one execution and the mean rank duration
          (billed); the cheapest, the fastest, and a balanced pick that minimises w × cost ÷ max cost + (1 − w) ×
          duration ÷ max duration.
        </p>
        <div className="row recommend-inputs">
          <label>
            Balanced weight w (0 = fastest, 1 = cheapest){' '}
            <input
              type="range"
              min={0}
              max={1}
              step={0.05}
              value={Number(weightText) || 0}
              onChange={(e) => setWeightText(e.target.value)}
              aria-label="Balanced weight slider"
            />
            <input
              value={weightText}
              onChange={(e) => setWeightText(e.target.value)}
              inputMode="decimal"
              size={5}
              data-testid="recommend-weight"
              aria-label="Balanced weight"
            />
          </label>
          <label>
            Recommend{' '}
            <select
              value={strategy}
              onChange={(e) => setStrategy(e.target.value as Strategy)}
              data-testid="recommend-strategy"
            >
              <option value="balanced">balanced</option>
              <option value="cost">the cheapest</option>
              <option value="speed">the fastest</option>
            </select>
          </label>
        </div>
        {weightError && (
          <div className="error-inline" data-testid="recommend-weight-error">
            {weightError}
          </div>
        )}
        <ErrorBox error={error} onDismiss={() => setError(null)} />
        {view && (
          <p className="muted" data-testid="recommend-summary">
            {view.title}: {view.runs} run(s), {view.groups.length} group(s)
            {view.excluded.length ? `, ${view.excluded.length} left out` : ''}.
          </p>
        )}
        {view && view.groups.length === 0 && (
          <div className="empty" data-testid="recommend-empty">
            No cloud runs with a known Lambda memory here. Run the same job at two or more memory sizes, then come back.
          </div>
        )}
        {view && (view.excluded.length > 0 || view.skipped.length > 0) && (
          <div className="table-note">
            Left out:{' '}
            {[
              ...view.excluded.map((e) => `${e.id} (${e.reason})`),
              ...view.skipped.map((s) => `${s.id} (${s.problem})`),
            ].join('; ')}
          </div>
        )}
      </div>
      {view?.groups.map((g, i) => (
        <GroupCard key={g.label} g={g} index={i} strategy={view.strategy} />
      ))}
      {view?.table && <DataTable table={view.table as Table} testId="recommend-table" />}
    </>
  );
}
