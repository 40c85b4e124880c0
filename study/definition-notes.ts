import { definitionLabel, type MetricKey } from '../base/metric-catalogue.ts';
import { definitionsOf } from './compare.ts';
import type { StudyMeasurement } from './measurement.ts';

/** The study tables' metric columns and the record field whose definition each shows. */
export const TABLE_COLUMN_FIELDS: Array<{ column: string; field: MetricKey }> = [
  { column: 'Execution time', field: 'execution_time (seconds/batch)' },
  { column: 'Throughput', field: 'throughput_bps' },
  { column: 'Memory', field: 'total_cpu_memory (MB)' },
];

/**
 * Notes for a study table: each column's definition, and a warning when the runs in one column were measured
 * under different definitions (e.g. local peak RSS and the study's profiler allocation sum), naming which rows.
 */
export function definitionNotes(runs: StudyMeasurement[]): string[] {
  if (runs.length === 0) return [];
  const notes: string[] = [];
  for (const { column, field } of TABLE_COLUMN_FIELDS) {
    const byDef = new Map<string, Set<string>>();
    for (const r of runs) {
      const label = definitionLabel(definitionsOf(r)[field]);
      const who = `${r.target}${r.engine ? ` ${r.engine}` : ''}`;
      byDef.set(label, (byDef.get(label) ?? new Set()).add(who));
    }
    if (byDef.size === 1) notes.push(`${column}: ${[...byDef.keys()][0]}.`);
    else {
      const parts = [...byDef].map(([label, who]) => `${[...who].join(', ')} rows: ${label}`);
      notes.push(
        `Warning: the ${column} column mixes definitions (${parts.join('; ')}); do not compare its rows as like with like.`,
      );
    }
  }
  return notes;
}
