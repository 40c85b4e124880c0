import type { LambdaArch } from '../../../../base/price-table.ts';
import { loadPriceTable } from '../../../../study/cost/price-store.ts';
import { recommendMemory, RecommendInputError, type Strategy } from '../../../../study/recommend.ts';
import { recommendationChart, recommendationTable } from '../../../../study/recommend-table.ts';
import { ApiError, type RecommendationView, type RunSelection } from '../../../common/contract/index.ts';
import type { HistoryStore } from '../../history-store.ts';
import { selectedMeasurements, type SelectedMeasurements } from './results.ts';

/** `study.recommend`: the Lambda memory recommendation of a study, of History runs or of every cloud run. */

export type { Strategy };

export type RecommendSelection = RunSelection | { history: 'cloud' };

export interface RecommendInput {
  selection: RecommendSelection;
  strategy?: Strategy;
  weight?: number;
  arch?: LambdaArch;
}

/** The measurements behind a selection; `{history: 'cloud'}` is every finished cloud run in History. */
export async function recommendMeasurements(
  store: HistoryStore,
  selection: RecommendSelection,
  loadState: Parameters<typeof selectedMeasurements>[2],
): Promise<SelectedMeasurements> {
  if (!('history' in selection)) return selectedMeasurements(store, selection, loadState);
  const ids = (await store.list())
    .filter((i) => !i.damaged && i.kind === 'cloud' && i.status === 'completed')
    .map((i) => i.id);
  if (ids.length === 0) return { title: 'Cloud runs in History', runs: [], skipped: [] };
  const chosen = await selectedMeasurements(store, { runs: ids }, loadState);
  return { ...chosen, title: `${chosen.runs.length} cloud run(s) in History` };
}

/** The recommendation at the saved prices, with its table and one chart per group. */
export async function recommendation(
  dataDir: string,
  chosen: SelectedMeasurements,
  input: Omit<RecommendInput, 'selection'>,
): Promise<RecommendationView> {
  const { table: prices } = await loadPriceTable(dataDir);
  let rec;
  try {
    rec = recommendMemory(chosen.runs, { ...input, prices });
  } catch (err) {
    if (err instanceof RecommendInputError) throw new ApiError({ code: 'INVALID_INPUT', message: err.message });
    throw err;
  }
  return {
    title: chosen.title,
    strategy: rec.strategy,
    weight: rec.weight,
    runs: chosen.runs.length,
    groups: rec.groups.map((g) => ({
      label: g.label,
      memorySizes: g.sizes.map((s) => s.memoryMb),
      picks: g.picks,
      recommended: g.recommended,
      notes: g.notes,
      chart: recommendationChart(rec, g),
    })),
    excluded: rec.excluded,
    skipped: chosen.skipped,
    notes: rec.notes,
    table: rec.groups.length > 0 ? recommendationTable(rec) : null,
  };
}
