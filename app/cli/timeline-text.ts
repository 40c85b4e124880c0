import { RankTimelineSchema } from '../../base/rank-timeline.ts';
import { formatCell } from '../../base/table.ts';
import { measuredPeakText, rankTimelineTable } from '../../base/timeline-table.ts';
import { formatTable } from './local-table.ts';

/** A cloud run's rank timeline as text: the measured peak, then one row per rank (an unknown phase shows "—"). */
export function rankTimelineText(record: Record<string, unknown>): string {
  const peak = measuredPeakText(record);
  const parsed = RankTimelineSchema.safeParse(record.rank_timeline);
  if (!parsed.success) return peak;
  const t = rankTimelineTable(parsed.data);
  const headers = t.columns.map((c) => (c.unit ? `${c.label} (${c.unit})` : c.label));
  const rows = t.rows.map((r) => t.columns.map((c) => formatCell(r[c.key], c) || '—'));
  const numeric = t.columns.map((c) => c.key !== 'status');
  return [peak, '', formatTable(headers, rows, numeric), '', t.note ?? ''].join('\n');
}
