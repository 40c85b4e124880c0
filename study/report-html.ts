import { formatCell, headerText, screenColumns } from '../base/table.ts';
import type { PriceTable } from '../base/price-table.ts';
import { studyCharts } from './charts.ts';
import type { Comparison } from './compare.ts';
import type { StudyMeasurement } from './measurement.ts';
import { summarizeFindings } from './summary.ts';
import { chartSvg } from '../base/svg-chart.ts';
import { statisticsTable } from './stat-columns.ts';
import type { StudyTable } from './table.ts';
import { table1, table2, table3, type CostTableOptions } from './tables.ts';
import { reportRecommendation } from './report-recommendation.ts';

/**
 * A study report as one self-contained HTML page (no scripts, no external files): summary of findings, settings,
 * environment, Tables 1–3, the comparison, the charts as inline SVG, and the Lambda memory recommendation when the
 * runs measured one configuration at two or more memory sizes. It prints well, so the desktop app can
 * turn it into PDF (printToPDF) and a browser can print it.
 */

export interface StudyReportInput {
  title: string;
  /** Where the runs came from, e.g. "study study-2026… (12 jobs)" or "recorded results in folder /data/results". */
  source: string;
  settings: Array<[string, string]>;
  environment: Array<[string, string]>;
  runs: StudyMeasurement[];
  comparison?: Comparison;
  prices: PriceTable;
  costOptions?: Omit<CostTableOptions, 'prices'>;
  generatedAt?: Date;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function tableHtml(table: StudyTable): string {
  // As on screen; the export-only statistics (median, CV, CI bounds) follow in their own long table.
  const t = { ...table, columns: screenColumns(table) };
  const numeric = t.columns.map(
    (c) =>
      c.align === 'right' ||
      (c.align === undefined && t.rows.every((r) => r[c.key] == null || typeof r[c.key] === 'number')),
  );
  const head = t.columns.map((c, i) => `<th${numeric[i] ? ' class="num"' : ''}>${esc(headerText(c))}</th>`).join('');
  const body = t.rows
    .map(
      (r) =>
        `<tr>${t.columns.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${esc(formatCell(r[c.key], c))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const notes = t.note
    ? `<ul class="notes">${t.note
        .split('\n')
        .map((n) => `<li>${esc(n)}</li>`)
        .join('')}</ul>`
    : '';
  return `<section class="table"><h3>${esc(t.title)}</h3>\n<table><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>${notes}</section>`;
}

/** A table, then its statistics over repeats in long form when it has any (≥ 3 repeats somewhere). */
function withStatistics(t: StudyTable): string {
  const stats = statisticsTable(t);
  return stats.rows.length ? `${tableHtml(t)}\n${tableHtml(stats)}` : tableHtml(t);
}

const pairs = (rows: Array<[string, string]>): string =>
  `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
.meta { color: #666; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #999; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { font-weight: normal; color: #555; }
ul.notes { color: #555; font-size: 0.85em; margin-top: 0.3em; }
.chart { margin: 1em 0; break-inside: avoid; } .table { break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } }
`;

export function studyReportHtml(r: StudyReportInput): string {
  const opts = { ...r.costOptions, prices: r.prices };
  const tables = [table1(r.runs), table2(r.runs), table3(r.runs, opts)].filter((t) => t.rows.length > 0);
  const charts = studyCharts(r.runs, opts);
  const memory = reportRecommendation(r.runs, r.prices, r.costOptions?.arch);
  // The summary's memory sentences and the recommendation section come from one computation, so they cannot differ.
  const findings = summarizeFindings(r.runs, { ...opts, ...(memory ? { recommendation: memory.rec } : {}) });
  const when = (r.generatedAt ?? new Date()).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const sections = [
    `<h1>${esc(r.title)}</h1>`,
    `<p class="meta">${esc(r.source)} · ${r.runs.length} run(s) · generated ${esc(when)}</p>`,
    `<h2>Summary</h2>`,
    findings.length ? `<ul>${findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : '<p>No finished runs yet.</p>',
    ...(r.comparison ? ['<h2>Comparison</h2>', tableHtml(r.comparison.table)] : []),
    '<h2>Tables</h2>',
    tables.length ? tables.map(withStatistics).join('\n') : '<p>No finished runs yet.</p>',
    ...(charts.length ? ['<h2>Charts</h2>', ...charts.map((c) => `<div class="chart">${chartSvg(c)}</div>`)] : []),
    ...(memory
      ? [
          '<h2>Lambda memory</h2>',
          tableHtml(memory.table),
          ...memory.chartsSvg.map((svg) => `<div class="chart">${svg}</div>`),
        ]
      : []),
    '<h2>Settings</h2>',
    pairs([...r.settings, ['Prices', `${r.prices.region}, as of ${r.prices.asOf}; ${r.prices.source}`]]),
    '<h2>Environment</h2>',
    pairs(r.environment),
  ];
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${CSS}</style></head>\n<body>\n${sections.join('\n')}\n</body></html>\n`;
}
