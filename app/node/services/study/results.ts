import { studyCharts } from '../../../../study/charts.ts';
import type { StudyMeasurement } from '../../../../study/measurement.ts';
import { studyMeasurements, type StudyState } from '../../../../study/study-store.ts';
import { summarizeFindings } from '../../../../study/summary.ts';
import { table1, table2, table3 } from '../../../../study/tables.ts';
import { loadPriceTable } from '../../../../study/cost/price-store.ts';
import { measurementFromRunRecord } from '../../../../study/cloud-measurement.ts';
import type { RunSelection, StudyResults } from '../../../common/contract/index.ts';
import type { HistoryStore } from '../../history-store.ts';
import type { CostSettings } from './shared.ts';

export interface SelectedMeasurements {
  title: string;
  runs: StudyMeasurement[];
  skipped: Array<{ id: string; problem: string }>;
  state?: StudyState;
}

/** The measurements of a study, or of runs chosen in History (those without usable results are listed as skipped). */
export async function selectedMeasurements(
  store: HistoryStore,
  selection: RunSelection,
  loadState: (id: string) => Promise<StudyState>,
): Promise<SelectedMeasurements> {
  if ('study' in selection) {
    const state = await loadState(selection.study);
    return { title: state.name, runs: studyMeasurements(state), skipped: [], state };
  }
  const runs: StudyMeasurement[] = [];
  const skipped: Array<{ id: string; problem: string }> = [];
  for (const id of selection.runs) {
    try {
      const { entry } = await store.get(id);
      if (!entry.record) throw new Error(`no results (status ${entry.status})`);
      runs.push({ ...measurementFromRunRecord(entry.record), id });
    } catch (err) {
      skipped.push({ id, problem: err instanceof Error ? err.message : String(err) });
    }
  }
  return { title: `Study of ${runs.length} History run(s)`, runs, skipped };
}

/** Tables 1–3, the charts and the findings of the chosen measurements, at the saved prices. */
export async function studyResults(
  dataDir: string,
  chosen: SelectedMeasurements,
  cost: CostSettings = {},
): Promise<StudyResults> {
  const { title, runs, skipped } = chosen;
  const { table: prices } = await loadPriceTable(dataDir);
  const opts = { lambdaMemoryMb: cost.lambdaMemoryMb, arch: cost.arch, prices };
  const tables = [table1(runs), table2(runs), table3(runs, opts)].filter((t) => t.rows.length > 0);
  return {
    title,
    runs: runs.length,
    tables,
    charts: studyCharts(runs, opts),
    findings: summarizeFindings(runs, opts),
    skipped,
  };
}
