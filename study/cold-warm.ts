import type { CloudRunRecord } from '../base/cloud-run-record.ts';
import { EXECUTION_TIME } from '../base/metric-keys.ts';
import type { StudyMeasurement } from './measurement.ts';
import { meanStd } from './stats.ts';
import type { TableCell, TableColumn } from './table.ts';

/**
 * Cold vs warm ranks of cloud runs. A rank is cold when its Lambda REPORT line has an Init Duration (the container
 * was new: the runtime, and for this app's worker the model download and session creation, ran before it), warm
 * otherwise. Only ranks whose REPORT line was attributed (lambda_per_rank) are classified. The study tables split
 * s/batch (Tables 1–2) and per-rank duration (Table 3) into cold and warm columns where a table has both.
 */

export interface RankKindStats {
  /** Ranks of this kind in the run. */
  ranks: number;
  /** Mean over these ranks of `execution_time (seconds/batch)`; null when none had a readable result. */
  secondsPerBatch: number | null;
  /** Mean over these ranks of the REPORT line's billed duration, seconds. */
  durationSeconds: number;
}

export interface ColdWarm {
  cold: RankKindStats | null;
  warm: RankKindStats | null;
}

/** The run's ranks split into cold and warm; undefined when no REPORT line was attributed to a rank. */
export function coldWarmOf(r: CloudRunRecord): ColdWarm | undefined {
  const perRank = r.lambda_per_rank ?? [];
  if (perRank.length === 0) return undefined;
  const spbByRank = new Map<number, number>();
  r.rank_results.forEach((res, i) => {
    const m = /(\d+)\.json$/.exec(r.rank_keys[i] ?? '');
    const v = res[EXECUTION_TIME];
    if (m && typeof v === 'number' && Number.isFinite(v)) spbByRank.set(Number(m[1]), v);
  });
  const kind = (cold: boolean): RankKindStats | null => {
    const ranks = perRank.filter((p) => (p.initDurationMs !== undefined) === cold);
    if (ranks.length === 0) return null;
    const spb = ranks.map((p) => spbByRank.get(p.rank)).filter((v): v is number => v !== undefined);
    return {
      ranks: ranks.length,
      secondsPerBatch: spb.length ? spb.reduce((a, b) => a + b, 0) / spb.length : null,
      durationSeconds: ranks.reduce((a, p) => a + p.billedDurationMs, 0) / ranks.length / 1000,
    };
  };
  return { cold: kind(true), warm: kind(false) };
}

/** What a table's runs hold: both kinds, only one, or nothing known. */
export function coldWarmPresence(runs: StudyMeasurement[]): { cold: number; warm: number; known: boolean } {
  let cold = 0;
  let warm = 0;
  let known = false;
  for (const r of runs) {
    if (!r.coldWarm) continue;
    known = true;
    cold += r.coldWarm.cold?.ranks ?? 0;
    warm += r.coldWarm.warm?.ranks ?? 0;
  }
  return { cold, warm, known };
}

export type ColdWarmValue = 'secondsPerBatch' | 'durationSeconds';

const LABELS: Record<ColdWarmValue, { key: string; label: string; unit: string; digits: number }> = {
  secondsPerBatch: { key: 'spb', label: 's/batch', unit: 's/batch', digits: 3 },
  durationSeconds: { key: 'duration', label: 'duration per rank', unit: 's', digits: 2 },
};

/** The cold and warm columns (mean ± sd over repeats), only when the runs have both kinds of rank. */
export function coldWarmColumns(runs: StudyMeasurement[], value: ColdWarmValue): TableColumn[] {
  const p = coldWarmPresence(runs);
  if (p.cold === 0 || p.warm === 0) return [];
  const l = LABELS[value];
  return [
    { key: 'cold_warm_ranks', label: 'Cold / warm ranks', unit: '', align: 'right' },
    ...(['cold', 'warm'] as const).flatMap((k): TableColumn[] => [
      { key: `${k}_${l.key}`, label: `${k === 'cold' ? 'Cold' : 'Warm'} ${l.label}`, unit: l.unit, digits: l.digits },
      { key: `${k}_${l.key}_sd`, label: '± sd', unit: l.unit, digits: l.digits },
    ]),
  ];
}

/** Fills the cold and warm cells of a row from its runs (blank where no run of the row has that kind). */
export function putColdWarm(row: Record<string, TableCell>, runs: StudyMeasurement[], value: ColdWarmValue): void {
  const l = LABELS[value];
  const p = coldWarmPresence(runs);
  row.cold_warm_ranks = p.known ? `${p.cold} / ${p.warm}` : null;
  for (const k of ['cold', 'warm'] as const) {
    const vs = runs
      .map((r) => r.coldWarm?.[k]?.[value])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const s = vs.length ? meanStd(vs) : null;
    row[`${k}_${l.key}`] = s?.mean ?? null;
    row[`${k}_${l.key}_sd`] = s?.std ?? null;
  }
}

/** The note: how cold and warm are told apart, or which kind alone the runs have; null when nothing is known. */
export function coldWarmNote(runs: StudyMeasurement[], value: ColdWarmValue): string | null {
  const p = coldWarmPresence(runs);
  if (!p.known) return null;
  const what = value === 'secondsPerBatch' ? "the ranks' s/batch" : "the ranks' billed duration";
  if (p.cold > 0 && p.warm > 0)
    return (
      `Cold vs warm: a rank is cold when its REPORT line has an Init Duration (a new Lambda container), else warm; ` +
      `"Cold" and "Warm" columns are the mean over repeats of ${what} averaged over that run's cold (or warm) ` +
      `ranks, ± sd over repeats; "Cold / warm ranks" counts them over all repeats.`
    );
  return p.cold > 0
    ? `All ${p.cold} rank(s) with a REPORT line were cold starts (Init Duration present): no warm ranks to compare.`
    : `All ${p.warm} rank(s) with a REPORT line were warm (no Init Duration): no cold starts to compare.`;
}
