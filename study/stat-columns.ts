import { formatCell } from '../base/table.ts';
import { MIN_REPEATS_FOR_CI, STATS_METHOD_NOTE, summarize } from './stats.ts';
import type { StudyTable, TableCell, TableColumn } from './table.ts';

/**
 * A study table's value columns: the mean and its "± sd" always; with `ci` (some row has ≥ 3 repeats) also a
 * "95% CI (t)" column on screen, and median, CV and both 95% CIs (t and bootstrap, low and high) as numbers in the
 * exports. The numbers come from study/stats.ts; this file only lays them out.
 */

const SUFFIXES = {
  sd: '_sd',
  ci: '_ci95',
  median: '_median',
  cv: '_cv',
  tLow: '_ci_t_low',
  tHigh: '_ci_t_high',
  bootLow: '_ci_boot_low',
  bootHigh: '_ci_boot_high',
} as const;

export function statColumns(key: string, label: string, unit: string, digits: number, ci: boolean): TableColumn[] {
  const cols: TableColumn[] = [
    { key, label, unit, digits },
    { key: key + SUFFIXES.sd, label: '± sd', unit, digits },
  ];
  if (!ci) return cols;
  const exp = (suffix: string, what: string, u = unit, d = digits): TableColumn => ({
    key: key + suffix,
    label: `${label} ${what}`,
    unit: u,
    digits: d,
    show: 'export',
  });
  return [
    ...cols,
    { key: key + SUFFIXES.ci, label: '95% CI (t)', unit, align: 'right', show: 'screen' },
    exp(SUFFIXES.median, 'median'),
    exp(SUFFIXES.cv, 'CV', '', 3),
    exp(SUFFIXES.tLow, '95% CI t low'),
    exp(SUFFIXES.tHigh, '95% CI t high'),
    exp(SUFFIXES.bootLow, '95% CI bootstrap low'),
    exp(SUFFIXES.bootHigh, '95% CI bootstrap high'),
  ];
}

/** Fills a row's cells for one value from its repeats (as statColumns laid them out). */
export function putStats(
  row: Record<string, TableCell>,
  key: string,
  values: number[],
  ci: boolean,
  digits: number,
): void {
  const s = summarize(values);
  row[key] = s.mean;
  row[key + SUFFIXES.sd] = s.sd;
  if (!ci) return;
  const f = (v: number) => formatCell(v, { digits });
  row[key + SUFFIXES.ci] = s.ciT ? `[${f(s.ciT.low)}, ${f(s.ciT.high)}]` : null;
  row[key + SUFFIXES.median] = s.median;
  row[key + SUFFIXES.cv] = s.cv;
  row[key + SUFFIXES.tLow] = s.ciT?.low ?? null;
  row[key + SUFFIXES.tHigh] = s.ciT?.high ?? null;
  row[key + SUFFIXES.bootLow] = s.ciBoot?.low ?? null;
  row[key + SUFFIXES.bootHigh] = s.ciBoot?.high ?? null;
}

/** putStats for a table with (or without) CI columns: put(row, key, digits, runs, value of one run). */
export const statPutter =
  (ci: boolean) =>
  <T>(row: Record<string, TableCell>, key: string, digits: number, runs: T[], value: (r: T) => number): void =>
    putStats(row, key, runs.map(value), ci, digits);

/** Whether a table of these groups gets the CI columns: some group has 3 or more repeats. */
export const wantsCi = (groups: Array<{ runs: unknown[] }>): boolean =>
  groups.some((g) => g.runs.length >= MIN_REPEATS_FOR_CI);

/** The footnote of a table with CI columns: the methods, B and the seed, and where the rest of the numbers are. */
export const CI_NOTE =
  `"95% CI (t)" is shown on screen; the exports also carry each value's median, CV and both 95% CIs (t and ` +
  `bootstrap) as numbers. ${STATS_METHOD_NOTE} Blank where a row has fewer than ${MIN_REPEATS_FOR_CI} repeats.`;

/**
 * The statistics of a table in long form, one row per table row and value: n, mean, sd, median, CV, and the 95%
 * CIs (t and bootstrap). For the HTML/PDF report, where the wide export would not fit a page. Empty (no rows)
 * when the table has no CI columns.
 */
export function statisticsTable(t: StudyTable): StudyTable {
  const keys = new Set(t.columns.map((c) => c.key));
  const means = t.columns.filter((c) => keys.has(c.key + SUFFIXES.tLow));
  const firstMean = means.length ? t.columns.indexOf(means[0]) : 0;
  const ids = t.columns.slice(0, firstMean).filter((c) => !c.show);
  const columns: TableColumn[] = [
    { key: 'row', label: 'Row', unit: '' },
    { key: 'value', label: 'Value', unit: '' },
    { key: 'n', label: 'n', unit: '' },
    { key: 'mean', label: 'Mean', unit: '' },
    { key: 'sd', label: 'sd', unit: '' },
    { key: 'median', label: 'Median', unit: '' },
    { key: 'cv', label: 'CV', unit: '', digits: 3 },
    { key: 't_low', label: '95% CI t low', unit: '' },
    { key: 't_high', label: '95% CI t high', unit: '' },
    { key: 'boot_low', label: '95% CI bootstrap low', unit: '' },
    { key: 'boot_high', label: '95% CI bootstrap high', unit: '' },
  ];
  const rows = t.rows.flatMap((r) =>
    means.map((c) => ({
      row: ids.map((i) => `${i.label}${i.unit ? ` (${i.unit})` : ''} ${formatCell(r[i.key], i)}`).join(', '),
      value: c.unit ? `${c.label} (${c.unit})` : c.label,
      n: typeof r.repeats === 'number' ? r.repeats : null,
      mean: r[c.key],
      sd: r[c.key + SUFFIXES.sd],
      median: r[c.key + SUFFIXES.median],
      cv: r[c.key + SUFFIXES.cv],
      t_low: r[c.key + SUFFIXES.tLow],
      t_high: r[c.key + SUFFIXES.tHigh],
      boot_low: r[c.key + SUFFIXES.bootLow],
      boot_high: r[c.key + SUFFIXES.bootHigh],
    })),
  );
  return { title: `${t.title}: statistics over repeats`, columns, rows, note: STATS_METHOD_NOTE };
}
