import { useMemo } from 'react';
import { MEASURED_CONCURRENCY_DEFINITION, RankTimelineSchema } from '../../../base/rank-timeline.ts';
import { concurrencySvg, rankGanttSvg } from '../../../base/timeline-svg.ts';
import { measuredPeakText, rankTimelineTable } from '../../../base/timeline-table.ts';
import { executionsSummary } from '../../../base/run-executions.ts';
import { saveFile } from '../lib/download.ts';
import { toast } from '../lib/toast.ts';
import { DataTable } from './data-table.tsx';

/**
 * A cloud run's rank timeline (issue #20): the Gantt chart of its ranks with their phases, the measured concurrency
 * over time with its peak, and the per-rank table. The charts are the exported SVGs themselves (base/timeline-svg.ts),
 * built here from escaped text only.
 */
export function RankTimelineCard({ record, fileBase }: { record: Record<string, unknown>; fileBase: string }) {
  const parsed = useMemo(() => RankTimelineSchema.safeParse(record.rank_timeline), [record.rank_timeline]);
  const t = parsed.success ? parsed.data : null;
  const gantt = useMemo(() => (t ? rankGanttSvg(t) : ''), [t]);
  const steps = useMemo(() => (t ? concurrencySvg(t) : ''), [t]);
  const table = useMemo(() => (t ? rankTimelineTable(t) : null), [t]);
  const summary = measuredPeakText(record);
  const executions = executionsSummary(record);

  const exportSvg = async (name: string, svg: string) => {
    if (await saveFile(`${fileBase}-${name}.svg`, svg, 'image/svg+xml')) toast(`Saved ${name}.svg`);
  };

  return (
    <div className="card" data-testid="rank-timeline">
      <div className="card-head">
        <h2>Rank timeline</h2>
        <span className="spacer" />
        {t && (
          <>
            <button onClick={() => exportSvg('rank-timeline', gantt)} data-testid="export-gantt-svg">
              Export SVG
            </button>
            <button onClick={() => exportSvg('concurrency', steps)} data-testid="export-concurrency-svg">
              Export concurrency SVG
            </button>
          </>
        )}
      </div>
      <p data-testid="measured-peak" title={MEASURED_CONCURRENCY_DEFINITION}>
        {summary}
        {executions && (
          <span data-testid="timeline-executions">
            {' '}
            Lanes of {executions}, on one time axis from the original&apos;s start.
          </span>
        )}
      </p>
      {t && table && (
        <>
          <div className="svg-chart" data-testid="rank-gantt" dangerouslySetInnerHTML={{ __html: gantt }} />
          <div className="svg-chart" data-testid="rank-concurrency" dangerouslySetInnerHTML={{ __html: steps }} />
          <p className="muted">{MEASURED_CONCURRENCY_DEFINITION}</p>
          <details>
            <summary>Per rank</summary>
            <DataTable table={table} />
          </details>
        </>
      )}
    </div>
  );
}
