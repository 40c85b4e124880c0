import { useEffect, useRef, useState } from 'react';
import { backgroundPlugin, Chart, themeDefaults, type AnyChartConfig } from '../lib/charts.ts';
import { saveFile } from '../lib/download.ts';
import { useApp } from '../lib/app-state.ts';
import { toast } from '../lib/toast.ts';

/** A chart with PNG export and a full-screen view for presenting. `build` is called again when the theme changes. */
export function ChartCard({
  title,
  build,
  testId,
  fileName,
  animate = true,
  children,
  onChart,
}: {
  title: string;
  build: () => AnyChartConfig;
  testId?: string;
  fileName: string;
  animate?: boolean;
  children?: React.ReactNode;
  onChart?: (c: Chart | null) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  const [full, setFull] = useState(false);
  const { theme } = useApp();
  const onChartRef = useRef(onChart);
  onChartRef.current = onChart;

  useEffect(() => {
    if (!canvas.current) return;
    themeDefaults(full);
    const cfg = build();
    const c = new Chart(canvas.current, {
      ...cfg,
      options: {
        ...cfg.options,
        responsive: true,
        maintainAspectRatio: false,
        animation: animate ? cfg.options?.animation : false,
      },
      plugins: [...(cfg.plugins ?? []), backgroundPlugin],
    } as AnyChartConfig);
    chart.current = c;
    onChartRef.current?.(c);
    return () => {
      onChartRef.current?.(null);
      c.destroy();
      chart.current = null;
    };
  }, [build, theme, full, animate]);

  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!full) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setFull(false);
    // Leaving the browser's full screen (Esc, F11) also closes the view.
    const onFs = () => !document.fullscreenElement && setFull(false);
    window.addEventListener('keydown', onKey);
    document.addEventListener('fullscreenchange', onFs);
    // The overlay already fills the window; true full screen is a bonus where the browser allows it.
    box.current?.requestFullscreen?.().catch(() => undefined);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('fullscreenchange', onFs);
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    };
  }, [full]);

  const png = async () => {
    if (!chart.current) return;
    if (await saveFile(`${fileName}.png`, { dataUrl: chart.current.toBase64Image('image/png') }, 'image/png'))
      toast('Saved PNG');
  };

  return (
    <div ref={box} className={full ? 'chart-full' : 'card'} data-testid={testId}>
      <div className="card-head">
        <h2>{title}</h2>
        <div className="table-tools">
          <button className="small" onClick={png}>
            PNG
          </button>
          <button
            className="small"
            onClick={() => setFull(!full)}
            title={full ? 'Leave full screen (Esc)' : 'Show full screen'}
          >
            {full ? 'Close full screen' : 'Full screen'}
          </button>
        </div>
      </div>
      {children}
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
    </div>
  );
}
