import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../api.ts';
import type { ComparisonView, RunSelection, StudyChartData, StudyResults } from '../../../app/common/contract/index.ts';
import { formatCell, headerText, type Table } from '../../../base/table.ts';
import { memoryChartSvg } from '../../../base/svg-memory-chart.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { studyChartConfig } from '../components/study-chart.tsx';
import { Chart, backgroundPlugin, themeDefaults } from '../lib/charts.ts';
import { registerScreen } from './registry.ts';
import '../study.css';

/**
 * Presentation mode: a full-screen, large-type view stepping through a study's findings, comparison, tables and
 * charts (→ / Space / click: next; ← : back; Esc: leave). Everything comes from the local data folder: no network.
 */

type Slide =
  | { kind: 'title'; title: string; findings: string[]; runs: number }
  | { kind: 'table'; table: Table }
  | { kind: 'chart'; chart: StudyChartData }
  | { kind: 'compare'; cmp: ComparisonView }
  | { kind: 'memory-chart'; title: string; svg: string };

function SlideTable({ table }: { table: Table }) {
  // Presentation shows the numbers; the "± sd" columns stay when they hold values.
  const cols = table.columns.filter((c) =>
    table.rows.some((r) => r[c.key] !== null && r[c.key] !== undefined && r[c.key] !== ''),
  );
  return (
    <div className="present-table-wrap">
      {/* Many columns (the memory recommendation has up to 13) get a smaller type so a projector shows them all. */}
      <table className={cols.length > 8 ? 'present-table wide' : 'present-table'}>
        <thead>
          <tr>
            {cols.map((c) => (
              <th key={c.key}>{headerText(c)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((r, i) => (
            <tr key={i}>
              {cols.map((c) => (
                <td key={c.key} className={typeof r[c.key] === 'number' ? 'num' : undefined}>
                  {formatCell(r[c.key], c)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {table.note &&
        table.note.split('\n').map((line) => (
          <div key={line} className="present-note">
            {line}
          </div>
        ))}
    </div>
  );
}

function SlideChart({ chart }: { chart: StudyChartData }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    themeDefaults(true);
    const cfg = studyChartConfig(chart, true);
    const c = new Chart(canvas.current, {
      ...cfg,
      options: { ...cfg.options, responsive: true, maintainAspectRatio: false, animation: false },
      plugins: [backgroundPlugin],
    });
    return () => {
      c.destroy();
      themeDefaults(false);
    };
  }, [chart]);
  return (
    <div className="present-chart">
      <canvas ref={canvas} role="img" aria-label={chart.title} />
    </div>
  );
}

function Presentation({ selection, exit }: { selection: RunSelection; exit: string }) {
  const [slides, setSlides] = useState<Slide[] | null>(null);
  const [i, setI] = useState(0);
  const [error, setError] = useState<unknown>(null);

  // The selection by value: a parent that rebuilds an equal selection object must not reload the slides.
  const selectionKey = JSON.stringify(selection);
  useEffect(() => {
    const selection = JSON.parse(selectionKey) as RunSelection;
    (async () => {
      const res: StudyResults = await api.study.results({ selection });
      let cmp: ComparisonView | null = null;
      const ids = await comparisonPair(selection);
      if (ids) cmp = await api.study.compare({ a: ids[0], b: ids[1] }).catch(() => null);
      setSlides([
        { kind: 'title', title: res.title, findings: res.findings, runs: res.runs },
        ...(cmp ? [{ kind: 'compare' as const, cmp }] : []),
        ...res.tables.map((table) => ({ kind: 'table' as const, table })),
        ...res.charts.map((chart) => ({ kind: 'chart' as const, chart })),
        ...(await memorySlides(selection)),
      ]);
    })().catch(setError);
  }, [selectionKey]);

  const leave = useCallback(() => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    // Back to the screen it was opened from; a presentation opened by its URL goes to the study's page.
    if (window.history.length > 1) window.history.back();
    else window.location.hash = exit;
  }, [exit]);
  const n = slides?.length ?? 0;
  // The key handler is bound in an effect, after the slides first paint: a key pressed in between must see the
  // slide count already, or End would go to slide −1 (a blank "0 / n"). So the count is read through a ref.
  const count = useRef(0);
  count.current = n;
  const step = useCallback((d: number) => setI((x) => Math.max(0, Math.min(count.current - 1, x + d))), []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') leave();
      else if (['ArrowRight', 'ArrowDown', 'PageDown', ' ', 'Enter'].includes(e.key)) {
        e.preventDefault();
        step(1);
      } else if (['ArrowLeft', 'ArrowUp', 'PageUp', 'Backspace'].includes(e.key)) {
        e.preventDefault();
        step(-1);
      } else if (e.key === 'Home') setI(0);
      else if (e.key === 'End') setI(Math.max(0, count.current - 1));
    };
    window.addEventListener('keydown', onKey);
    document.documentElement.requestFullscreen?.().catch(() => undefined);
    return () => window.removeEventListener('keydown', onKey);
  }, [step, leave]);

  const slide = slides?.[i];
  const heading = useMemo(() => {
    if (!slide) return '';
    if (slide.kind === 'title') return slide.title;
    if (slide.kind === 'compare') return slide.cmp.table.title;
    if (slide.kind === 'table') return slide.table.title;
    if (slide.kind === 'memory-chart') return slide.title;
    return slide.chart.title;
  }, [slide]);

  return (
    <div
      className="present"
      data-testid="presentation"
      onClick={(e) => (e.target as HTMLElement).closest('button') || step(e.clientX < window.innerWidth / 4 ? -1 : 1)}
    >
      <div className="present-bar">
        <span data-testid="present-counter">{slides ? `${i + 1} / ${n}` : ''}</span>
        <span className="present-hint">→ next · ← back · Esc leaves</span>
        <button onClick={leave}>Leave</button>
      </div>
      {error ? <ErrorBox error={error} title="Could not load the study" /> : null}
      {!slides && !error && <div className="present-body">Loading…</div>}
      {slide && (
        <div className="present-body" data-testid="present-slide" data-kind={slide.kind}>
          <h1 className="present-title">{heading}</h1>
          {slide.kind === 'title' && (
            <p className="present-sub">
              Findings from {slide.runs} run{slide.runs === 1 ? '' : 's'}
            </p>
          )}
          {slide.kind === 'title' && (
            <ul className="present-findings">
              {slide.findings.length ? slide.findings.map((f) => <li key={f}>{f}</li>) : <li>No finished runs yet.</li>}
            </ul>
          )}
          {slide.kind === 'compare' && (
            <>
              <SlideTable table={slide.cmp.table} />
            </>
          )}
          {slide.kind === 'table' && <SlideTable table={slide.table} />}
          {slide.kind === 'chart' && <SlideChart key={slide.chart.id} chart={slide.chart} />}
          {slide.kind === 'memory-chart' && (
            // Built by memoryChartSvg from numbers and escaped labels only: no markup from outside.
            <div className="present-chart present-svg" dangerouslySetInnerHTML={{ __html: slide.svg }} />
          )}
        </div>
      )}
    </div>
  );
}

/**
 * The Lambda memory recommendation's table and charts, as in the report: only when a configuration was measured at
 * two or more memory sizes. A selection without cloud runs has none, and a failure here never hides the rest.
 */
async function memorySlides(selection: RunSelection): Promise<Slide[]> {
  const rec = await api.study.recommend({ selection }).catch(() => null);
  const compared = rec?.groups.filter((g) => g.memorySizes.length > 1) ?? [];
  if (!rec?.table || compared.length === 0) return [];
  return [
    { kind: 'table', table: rec.table },
    ...compared.map((g) => ({
      kind: 'memory-chart' as const,
      title: g.chart.title,
      svg: memoryChartSvg(g.chart, { width: 960, height: 540 }),
    })),
  ];
}

/** The comparison a presentation opens with: a local and a cloud run when both exist, else the first and last run. */
async function comparisonPair(selection: RunSelection): Promise<[string, string] | null> {
  if ('study' in selection) {
    const { study } = await api.study.get({ id: selection.study });
    const done = study.jobs.filter((j) => j.status === 'done' && j.runId);
    const local = done.find((j) => j.target === 'local');
    const cloud = done.find((j) => j.target === 'cloud');
    if (local && cloud) return [local.runId!, cloud.runId!];
    return done.length >= 2 ? [done[0].runId!, done[done.length - 1].runId!] : null;
  }
  return selection.runs.length >= 2 ? [selection.runs[0], selection.runs[selection.runs.length - 1]] : null;
}

registerScreen({
  id: 'present',
  title: 'Presentation',
  render: ([kind, arg]) =>
    kind === 'study' && arg ? (
      <Presentation key={arg} selection={{ study: arg }} exit={`#/study/${encodeURIComponent(arg)}`} />
    ) : kind === 'runs' && arg ? (
      <Presentation key={arg} selection={{ runs: arg.split(',') }} exit="#/study" />
    ) : (
      <div className="empty">Open a study and press Presentation mode.</div>
    ),
});
