import { sortedLabels, sortedNumbers } from '../../../common/report-settings.ts';
import { hostInfo } from '../../../../engine/run/host-info.ts';
import { loadPriceTable } from '../../../../study/cost/price-store.ts';
import { studyReportHtml } from '../../../../study/report-html.ts';
import { countJobs, type StudyState } from '../../../../study/study-store.ts';
import { ApiError, type ComparisonView } from '../../../common/contract/index.ts';
import type { SelectedMeasurements } from './results.ts';
import type { CostSettings } from './shared.ts';

/** The study report: one self-contained HTML page (summary, tables, charts, settings, environment). */
export async function studyReport(
  dataDir: string,
  chosen: SelectedMeasurements,
  comparison: ComparisonView | undefined,
  cost: CostSettings = {},
): Promise<{ title: string; html: string; fileName: string }> {
  const { title, runs, skipped, state } = chosen;
  const { table: prices } = await loadPriceTable(dataDir);
  const h = hostInfo();
  const p = state?.params;
  const cloudTarget = p?.target !== 'local';
  const settings: Array<[string, string]> = p
    ? [
        ['Target', p.target === 'both' ? 'local and cloud' : p.target],
        // A local study runs the batch-size sweep only; the cloud settings would only confuse its report.
        ['Sweeps', cloudTarget ? p.sweeps.join(', ') : 'batch-size'],
        ['Batch sizes', sortedNumbers(p.batchSizes)],
        ...(cloudTarget
          ? ([
              ['Partition sizes (MB)', sortedNumbers(p.partitionSizesMb)],
              ['Data sizes (GB)', p.dataSizesGb.join(', ')],
              ['World sizes', p.worldSizes.map((w) => w ?? 'one per partition').join(', ')],
            ] as Array<[string, string]>)
          : []),
        ['Repeats', String(p.repeats)],
        ['Local data', p.localData?.join(', ') ?? 'the bundled synthetic sample data'],
        ...(p.localThreads ? ([['Threads (local)', String(p.localThreads)]] as Array<[string, string]>) : []),
        ['Precision (local)', p.localPrecision ?? 'fp32'],
      ]
    : [
        ['Runs', `${runs.length} from History`],
        ['Partition sizes (MB)', sortedNumbers(runs.map((r) => r.partitionMb)) || '—'],
        ['Data labels', sortedLabels(runs.map((r) => r.dataLabel)) || '—'],
        ['Batch sizes', sortedNumbers(runs.map((r) => r.batchSize))],
      ];
  if (cloudTarget)
    settings.push(
      [
        'Lambda memory for costs',
        cost.lambdaMemoryMb ? `${cost.lambdaMemoryMb} MB` : 'as recorded with each run (10240 MB when unknown)',
      ],
      ['Lambda architecture', cost.arch ?? 'x86_64'],
    );
  if (skipped.length) settings.push(['Runs left out', skipped.map((s) => `${s.id}: ${s.problem}`).join('; ')]);
  const html = studyReportHtml({
    title,
    source: state ? `Study ${state.id}: ${countsText(state)}` : `${runs.length} run(s) chosen in History`,
    runs,
    prices,
    comparison: comparison
      ? {
          table: comparison.table,
          measuredHow: comparison.measuredHow,
          comparable: comparison.comparable,
          warnings: comparison.warnings,
        }
      : undefined,
    costOptions: { lambdaMemoryMb: cost.lambdaMemoryMb, arch: cost.arch },
    settings,
    environment: [
      [
        'Report made on',
        `${h.cpuModel}, ${h.physicalCores} cores (${h.logicalCores} logical), ${(h.ramBytes / 2 ** 30).toFixed(1)} GB RAM`,
      ],
      ['System', `${h.os} ${h.arch}, Node ${h.node}, onnxruntime ${h.onnxruntime}`],
      ['App', 'CosmicAI Bench'],
    ],
  });
  const fileName = `${
    title
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'study'
  }-report.html`;
  return { title, html, fileName };
}

/** The report as PDF, where the host can print one (Electron's printToPDF). */
export function studyReportPdf(
  printPdf: ((html: string, suggestedName: string) => Promise<{ path: string | null }>) | undefined,
  html: string,
  suggestedName: string,
): Promise<{ path: string | null }> {
  if (!printPdf)
    throw new ApiError({
      code: 'UNSUPPORTED',
      message: 'Saving PDF directly is only available in the desktop app.',
      hint: 'Open the HTML report and print it to PDF from the browser (Ctrl/Cmd+P).',
    });
  return printPdf(html, suggestedName);
}

function countsText(state: StudyState): string {
  const c = countJobs(state);
  return `${c.done} done, ${c.failed} failed, ${c.pending + c.running} pending of ${state.jobs.length} jobs`;
}
