import { memoryChartSvg } from '../base/svg-memory-chart.ts';
import type { LambdaArch, PriceTable } from '../base/price-table.ts';
import type { StudyMeasurement } from './measurement.ts';
import { recommendMemory, type Recommendation } from './recommend.ts';
import { recommendationChart, recommendationTable } from './recommend-table.ts';
import type { StudyTable } from './table.ts';

/**
 * The Lambda memory recommendation as the report shows it: only when some configuration was measured at two or
 * more memory sizes (one size gives no choice to report). The default pick (balanced, w = 0.5) is the one the
 * Memory recommendation screen opens with; the table says which strategy it used.
 */
export interface ReportRecommendation {
  rec: Recommendation;
  table: StudyTable;
  /** One inline SVG per configuration that has two or more sizes. */
  chartsSvg: string[];
}

export function reportRecommendation(
  runs: StudyMeasurement[],
  prices: PriceTable,
  arch?: LambdaArch,
): ReportRecommendation | null {
  const rec = recommendMemory(runs, { prices, ...(arch ? { arch } : {}) });
  const compared = rec.groups.filter((g) => g.sizes.length > 1);
  if (compared.length === 0) return null;
  return {
    rec,
    table: recommendationTable(rec),
    chartsSvg: compared.map((g) => memoryChartSvg(recommendationChart(rec, g), { width: 720, height: 420 })),
  };
}
