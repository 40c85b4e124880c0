import { useCallback } from 'react';
import { LogarithmicScale } from 'chart.js';
import type { StudyChartData } from '../../../app/common/contract/index.ts';
import { chartSvg } from '../../../base/svg-chart.ts';
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
export function studyChartConfig(c: StudyChartData, big = false): AnyChartConfig {
  const log = span(c) >= 16;
  const xs = [...new Set(c.series.flatMap((s) => s.points.map((p) => p.x)))];
  return {
    type: 'line',
    data: {
      datasets: c.series.map((s, i) => ({
        label: s.label,
        data: s.points.map((p) => ({ x: p.x, y: p.y })),
        // ± sample sd over repeats, drawn by errorBarsPlugin (as the SVG export and the report draw them)
        errorBars: s.points.map((p) => p.yErr),
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
              const sd = p?.yErr != null ? ` ± ${Number(p.yErr.toPrecision(3))}` : '';
              return `${ctx.dataset.label}: ${Number(ctx.parsed.y?.toPrecision(4))}${sd} (n = ${p?.n ?? 1})`;
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
        y: { beginAtZero: true, suggestedMax: maxWithErrors(c.series), title: { display: true, text: c.yLabel } },
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
  const build = useCallback(() => studyChartConfig(chart), [chart]);
  const svg = async () => {
    if (await saveFile(`${fileBase}-${chart.id}.svg`, chartSvg(chart, { width: 800, height: 450 }), 'image/svg+xml'))
      toast('Saved SVG');
  };
  return (
    <ChartCard
      title={chart.title}
      build={build}
      fileName={`${fileBase}-${chart.id}`}
      testId={testId ?? `chart-${chart.id}`}
    >
      <div className="row" style={{ justifyContent: 'flex-end', marginTop: -6, marginBottom: 6 }}>
        <button className="small" onClick={svg} title="Save this chart as SVG (vector, for papers)">
          SVG
        </button>
      </div>
    </ChartCard>
  );
}
