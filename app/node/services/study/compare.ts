import { compareRuns, precisionLabel } from '../../../../study/compare.ts';
import { measurementFromRunRecord } from '../../../../study/cloud-measurement.ts';
import { ApiError, type ComparisonView, type RunEntry } from '../../../common/contract/index.ts';
import type { HistoryStore } from '../../history-store.ts';

/** Two History runs side by side, measured the same way. */
export async function compareHistoryRuns(store: HistoryStore, a: string, b: string): Promise<ComparisonView> {
  if (a === b) throw new ApiError({ code: 'INVALID_INPUT', message: 'Pick two different runs to compare.' });
  const [ea, eb] = await Promise.all([store.get(a), store.get(b)]);
  const side = (e: RunEntry) => {
    if (!e.record)
      throw new ApiError({
        code: 'NO_RESULTS',
        message: `Run "${e.name}" has no results yet (status ${e.status}).`,
        hint: 'Compare finished runs.',
      });
    try {
      return measurementFromRunRecord(e.record);
    } catch (err) {
      throw new ApiError({ code: 'NO_RESULTS', message: `Run "${e.name}": ${(err as Error).message}` });
    }
  };
  const ma = side(ea.entry);
  const mb = side(eb.entry);
  // "local" vs "cloud" when the targets differ; otherwise the runs' names tell the sides apart.
  const la = precisionLabel(ma.target === mb.target ? `A: ${shortName(ea.entry.name)}` : ma.target, ma);
  const lb = precisionLabel(ma.target === mb.target ? `B: ${shortName(eb.entry.name)}` : mb.target, mb);
  const c = compareRuns({ label: la, run: ma }, { label: lb, run: mb });
  return {
    table: c.table,
    measuredHow: c.measuredHow,
    comparable: c.comparable,
    warnings: c.warnings,
    sides: [
      { id: ea.entry.id, name: ea.entry.name, kind: ea.entry.kind, label: la },
      { id: eb.entry.id, name: eb.entry.name, kind: eb.entry.kind, label: lb },
    ],
  };
}

/** A History name short enough for a column header: a study run's job id ("local/batch-size/bs16/r1"), else the name. */
function shortName(name: string): string {
  const last = name.split(' · ').at(-1)!.trim();
  return last.length > 40 ? `${last.slice(0, 39)}…` : last;
}
