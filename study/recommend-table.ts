import type { MemoryChart } from '../base/svg-memory-chart.ts';
import type { Recommendation, RecommendationGroup, Strategy } from './recommend.ts';
import { joinNotes, type StudyTable, type TableCell, type TableColumn } from './table.ts';

/**
 * The memory recommendation as the study's other results are shown: one table (base/table.ts, so it exports to
 * CSV, Markdown, LaTeX and JSON like Tables 1–3) and one chart per group (cost against duration, per memory size).
 */

export const RECOMMENDATION_TITLE = 'Lambda memory recommendation';

const PICK_NAME: Record<Strategy, string> = { cost: 'cheapest', speed: 'fastest', balanced: 'balanced' };

/** The picks a size is, in the order cheapest, fastest, balanced. */
export function picksOf(g: RecommendationGroup, memoryMb: number): Strategy[] {
  return (['cost', 'speed', 'balanced'] as const).filter((s) => g.picks[s].memoryMb === memoryMb);
}

const pctVs = (x: number, best: number): number | null =>
  best === 0 ? (x === 0 ? 0 : null) : ((x - best) / best) * 100;

export function recommendationTable(rec: Recommendation): StudyTable {
  const several = rec.groups.length > 1;
  const columns: TableColumn[] = [
    ...(several ? [{ key: 'configuration', label: 'Configuration', unit: '' }] : []),
    { key: 'memory_mb', label: 'Lambda memory', unit: 'MB' },
    { key: 'repeats', label: 'Repeats', unit: '' },
    { key: 'cost_usd', label: 'Cost per execution', unit: '$', digits: 7 },
    { key: 'cost_usd_sd', label: '± sd', unit: '$', digits: 7 },
    { key: 'cost_vs_cheapest_pct', label: 'Cost vs cheapest', unit: '%', digits: 1 },
    { key: 'duration_s', label: 'Mean rank duration', unit: 's', digits: 3 },
    { key: 'duration_s_sd', label: '± sd', unit: 's', digits: 3 },
    { key: 'duration_vs_fastest_pct', label: 'Duration vs fastest', unit: '%', digits: 1 },
    { key: 'execution_s', label: 'Execution wall time', unit: 's', digits: 1 },
    { key: 'execution_s_sd', label: '± sd', unit: 's', digits: 1 },
    { key: 'balanced_score', label: `Balanced score (w = ${rec.weight})`, unit: '', digits: 3 },
    { key: 'pick', label: 'Pick', unit: '' },
  ];
  const rows = rec.groups.flatMap((g) =>
    g.sizes.map((s) => {
      const row: Record<string, TableCell> = several ? { configuration: g.label } : {};
      Object.assign(row, {
        memory_mb: s.memoryMb,
        repeats: s.repeats,
        cost_usd: s.costUsd,
        cost_usd_sd: s.costSdUsd,
        cost_vs_cheapest_pct: pctVs(s.costUsd, g.picks.cost.costUsd),
        duration_s: s.durationS,
        duration_s_sd: s.durationSdS,
        duration_vs_fastest_pct: pctVs(s.durationS, g.picks.speed.durationS),
        execution_s: s.executionS,
        execution_s_sd: s.executionSdS,
        balanced_score: s.balancedScore,
        pick: picksOf(g, s.memoryMb)
          .map((p) => PICK_NAME[p])
          .join(', '),
      });
      return row;
    }),
  );
  const notes = [
    ...rec.groups.map((g) =>
      `${several ? `${g.label}: recommended` : 'Recommended'} (${PICK_NAME[rec.strategy]}${
        rec.strategy === 'balanced' ? `, w = ${rec.weight}` : ''
      }): ${g.recommended.memoryMb} MB. ${g.notes.join(' ')}`.trim(),
    ),
    ...rec.notes,
    '"Cost vs cheapest" and "Duration vs fastest" = (value − best) ÷ best, in %. Execution wall time is blank ' +
      'where the execution start and stop were not recorded (imported results).',
    ...(rec.excluded.length ? [`Left out: ${rec.excluded.map((e) => `${e.id} (${e.reason})`).join('; ')}.`] : []),
  ];
  return { title: RECOMMENDATION_TITLE, columns, rows, note: joinNotes(notes) };
}

/** Cost vs duration for one group, one point per memory size, the picks named on their points. */
export function recommendationChart(rec: Recommendation, g: RecommendationGroup): MemoryChart {
  return {
    title: rec.groups.length > 1 ? `Cost vs duration per memory size: ${g.label}` : 'Cost vs duration per memory size',
    xLabel: 'Mean rank duration (s)',
    yLabel: 'Cost per execution ($)',
    points: g.sizes.map((s) => ({
      memoryMb: s.memoryMb,
      x: s.durationS,
      y: s.costUsd,
      xErr: s.durationSdS,
      yErr: s.costSdUsd,
      repeats: s.repeats,
      picks: picksOf(g, s.memoryMb).map((p) => (p === 'balanced' ? `balanced (w = ${rec.weight})` : PICK_NAME[p])),
    })),
  };
}
