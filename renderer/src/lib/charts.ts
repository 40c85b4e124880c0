import {
  Chart,
  LineController,
  ScatterController,
  LineElement,
  PointElement,
  LinearScale,
  Tooltip,
  Legend,
  Filler,
  type ChartConfiguration,
  type Plugin,
} from 'chart.js';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, Tooltip, Legend, Filler);

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** Paints the panel colour behind the chart, so an exported PNG is not transparent. */
export const backgroundPlugin: Plugin = {
  id: 'panelBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = css('--panel') || '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** Colours and large type from the current theme, applied to every chart. */
export function themeDefaults(big: boolean) {
  Chart.defaults.color = css('--muted');
  Chart.defaults.borderColor = css('--chart-grid');
  Chart.defaults.font.size = big ? 20 : 15;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
}

export const accent = () => css('--accent') || '#2f5bd3';
export const textColor = () => css('--text') || '#111';

export type AnyChartConfig = ChartConfiguration<'line' | 'scatter', Array<{ x: number; y: number }>>;
export { Chart };
