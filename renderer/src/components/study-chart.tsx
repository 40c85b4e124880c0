import { useCallback, useState } from 'react';
import { LogarithmicScale } from 'chart.js';
import type { StudyChartData } from '../../../app/common/contract/index.ts';
import { chartSvg } from '../../../base/svg-chart.ts';
import { errorBarCaption, errorBarOf, type ErrorBarMode } from '../../../base/error-bars.ts';
import { Chart, type AnyChartConfig } from '../lib/charts.ts';
import { errorBarsPlugin, maxWithErrors } from '../lib/error-bars.ts';
import { saveFile } from '../lib/download.ts';
import { toast } from '../lib/toast.ts';
import { ChartCard } from './chart-card.tsx';

Chart.register(LogarithmicScale);

export const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const span = (c: StudyChartData) => {
  const xs = c.series.flatMap((s) => s.points.map((p) => p.x)).filter((x) => x > 0);
  return xs.length ? Math.max(...xs) / Math.min(...xs) : 1;
};

/** The chart.js config of a study chart: one line per series, log x axis when the values span 16× or more (as the SVG). */
export function studyChartConfig(c: StudyChartData, big = false, mode: ErrorBarMode = 'auto'): AnyChartConfig {
  const log = span(c) >= 16;
  const xs = [...new Set(c.series.flatMap((s) => s.points.map((p) => p.x)))];
  return {
    type: 'line',
    data: {
      datasets: c.series.map((s, i) => ({
        label: s.label,
        data: s.points.map((p) => ({ x: p.x, y: p.y })),
        // The 95% CI (n ≥ 3) or ± sample sd, drawn by errorBarsPlugin (as the SVG export and the report draw them)
        errorBars: s.points.map((p) => {
          const b = errorBarOf(p, mode);
          return b ? { low: b.low, high: b.high } : null;
        }),
        borderColor: SERIES_COLORS[i % SERIES_COLORS.length],
        backgroundColor: SERIES_COLORS[i % SERIES_COLORS.length],
        pointRadius: big ? 7 : 5,
        borderWidth: big ? 4 : 2.5,
        tension: 0,
      })),
    },
    plugins: [errorBarsPlugin],
    options: {
      parsing: false,
      plugins: {
        legend: { display: c.series.length > 1 || c.series[0]?.label !== '', position: 'bottom' },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const p = c.series[ctx.datasetIndex]?.points[ctx.dataIndex];
              const b = p ? errorBarOf(p, mode) : null;
              const r = (v: number) => Number(v.toPrecision(4));
              const sd = p?.yErr != null ? ` ± ${Number(p.yErr.toPrecision(3))} sd` : '';
              const ci = b?.kind === 'ci95' ? `, 95% CI ${r(b.low)} to ${r(b.high)}` : '';
              return `${ctx.dataset.label}: ${Number(ctx.parsed.y?.toPrecision(4))}${sd}${ci} (n = ${p?.n ?? 1})`;
            },
          },
        },
      },
      scales: {
        x: {
          type: log ? 'logarithmic' : 'linear',
          title: { display: true, text: c.xLabel },
          // A tick at each value measured (batch sizes, data sizes), as the SVG does.
          afterBuildTicks: (axis) => {
            if (xs.length <= 12) axis.ticks = xs.sort((a, b) => a - b).map((value) => ({ value }));
          },
          ticks: { callback: (v) => String(Number(Number(v).toPrecision(4))) },
        },
        y: { beginAtZero: true, suggestedMax: maxWithErrors(c.series, mode), title: { display: true, text: c.yLabel } },
      },
    },
  } as AnyChartConfig;
}

/** A study chart with PNG export (the canvas), SVG export (the same data drawn by chartSvg) and full screen. */
export function StudyChartCard({
  chart,
  fileBase,
  testId,
}: {
  chart: StudyChartData;
  fileBase: string;
  testId?: string;
}) {
  const [mode, setMode] = useState<ErrorBarMode>('auto');
  const build = useCallback(() => studyChartConfig(chart, false, mode), [chart, mode]);
  const hasCi = chart.series.some((s) => s.points.some((p) => p.ci));
  const svg = async () => {
    const text = chartSvg(chart, { width: 800, height: 450 }, mode);
    if (await saveFile(`${fileBase}-${chart.id}.svg`, text, 'image/svg+xml')) toast('Saved SVG');
  };
  return (
    <ChartCard
      title={chart.title}
      build={build}
      fileName={`${fileBase}-${chart.id}`}
      testId={testId ?? `chart-${chart.id}`}
    >
      <div className="row" style={{ justifyContent: 'flex-end', marginTop: -6, marginBottom: 6 }}>
        <span className="table-note" data-testid="error-bar-caption" style={{ marginRight: 'auto' }}>
          {errorBarCaption(chart, mode)}
        </span>
        {hasCi && (
          <select
            aria-label="Error bars"
            value={mode}
            onChange={(e) => setMode(e.target.value as ErrorBarMode)}
            title="What the error bars show"
          >
            <option value="auto">95% CI (n ≥ 3)</option>
            <option value="sd">± sd</option>
          </select>
        )}
        <button className="small" onClick={svg} title="Save this chart as SVG (vector, for papers)">
          SVG
        </button>
      </div>
    </ChartCard>
  );
}
