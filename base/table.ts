/**
 * Tables as the UI shows them and as they export: CSV, Markdown, LaTeX (booktabs) and JSON.
 * Plain TypeScript with no DOM or Node imports, so the renderer, the CLI and the tests share it.
 */

export type CellValue = string | number | boolean | null | undefined;

export interface Column {
  key: string;
  label: string;
  /** Shown in the header as "label (unit)". */
  unit?: string;
  /** Fixed decimals for numbers; without it numbers get up to 4 significant decimals. */
  digits?: number;
  align?: 'left' | 'right';
  /**
   * Where the column appears: 'screen' = only in the on-screen table (a summary the exports carry as numbers),
   * 'export' = only in the exports (CSV, Markdown, LaTeX, JSON); both when absent.
   */
  show?: 'screen' | 'export';
}

export interface Table {
  title: string;
  columns: Column[];
  rows: Array<Record<string, CellValue>>;
  /** A note printed under the table (e.g. "reference weights — predictions are not physical"). */
  note?: string;
}

export type ExportFormat = 'csv' | 'md' | 'tex' | 'json';
export const EXPORT_FORMATS: Array<{ format: ExportFormat; label: string; extension: string; mime: string }> = [
  { format: 'csv', label: 'CSV', extension: 'csv', mime: 'text/csv' },
  { format: 'md', label: 'Markdown', extension: 'md', mime: 'text/markdown' },
  { format: 'tex', label: 'LaTeX', extension: 'tex', mime: 'application/x-tex' },
  { format: 'json', label: 'JSON', extension: 'json', mime: 'application/json' },
];

/** The columns the on-screen table shows. */
export const screenColumns = (t: Table): Column[] => t.columns.filter((c) => c.show !== 'export');
/** The table as its exports write it: every column but the screen-only ones. */
const forExport = (t: Table): Table =>
  t.columns.some((c) => c.show === 'screen') ? { ...t, columns: t.columns.filter((c) => c.show !== 'screen') } : t;

export const headerText = (c: Column): string => (c.unit ? `${c.label} (${c.unit})` : c.label);

const isNumeric = (t: Table, c: Column): boolean =>
  c.align === 'right' ||
  (c.align === undefined && t.rows.length > 0 && t.rows.every((r) => r[c.key] == null || typeof r[c.key] === 'number'));

/** Display form of a value: fixed or up-to-4 decimals, no thousands separators (they would break CSV/LaTeX). */
export function formatCell(value: CellValue, column?: Pick<Column, 'digits'>): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Inf' : '-Inf';
    if (column?.digits !== undefined) return value.toFixed(column.digits);
    if (Number.isInteger(value)) return String(value);
    const abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-3 || abs >= 1e9)) return value.toExponential(3);
    return String(Number(value.toFixed(abs >= 100 ? 2 : 4)));
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return value;
}

const csvField = (s: string): string => (/[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** RFC 4180 CSV with a header row; numbers keep full precision so the file can be re-analysed. */
export function toCSV(table: Table): string {
  const t = forExport(table);
  const lines = [t.columns.map((c) => csvField(headerText(c))).join(',')];
  for (const r of t.rows) {
    lines.push(
      t.columns
        .map((c) => {
          const v = r[c.key];
          return csvField(typeof v === 'number' && Number.isFinite(v) ? String(v) : formatCell(v, c));
        })
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

const mdCell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');

export function toMarkdown(table: Table): string {
  const t = forExport(table);
  const head = `| ${t.columns.map((c) => mdCell(headerText(c))).join(' | ')} |`;
  const rule = `| ${t.columns.map((c) => (isNumeric(t, c) ? '---:' : '---')).join(' | ')} |`;
  const body = t.rows.map((r) => `| ${t.columns.map((c) => mdCell(formatCell(r[c.key], c))).join(' | ')} |`);
  const out = [`**${mdCell(t.title)}**`, '', head, rule, ...body];
  if (t.note) out.push('', `_${mdCell(t.note)}_`);
  return out.join('\n') + '\n';
}

const LATEX_SPECIAL: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '<': '\\textless{}',
  '>': '\\textgreater{}',
};

/**
 * Non-ASCII characters the tables use, as plain LaTeX (pdflatex without inputenc/fontenc extras rejects or drops
 * them: "(n − 1)" with U+2212 did not compile). Anything else non-ASCII is decomposed (é → e) or becomes "?".
 */
const LATEX_UNICODE: Record<string, string> = {
  '\u2212': '$-$', // minus sign
  '\u00b1': '$\\pm$',
  '\u00d7': '$\\times$',
  '\u00f7': '$\\div$',
  '\u00b2': '$^2$',
  '\u00b3': '$^3$',
  '\u0394': '$\\Delta$',
  '\u03a3': '$\\Sigma$',
  '\u03c3': '$\\sigma$',
  '\u00b5': '$\\mu$',
  '\u03bc': '$\\mu$',
  '\u2013': '--',
  '\u2014': '---',
  '\u2026': '\\ldots{}',
  '\u00b7': '$\\cdot$',
  '\u221a': '$\\surd$',
  '\u2264': '$\\leq$',
  '\u2265': '$\\geq$',
  '\u2248': '$\\approx$',
  '\u2192': '$\\rightarrow$',
  '\u2190': '$\\leftarrow$',
  '\u2018': '`',
  '\u2019': "'",
  '\u201c': '``',
  '\u201d': "''",
  '\u00a0': '~',
  '\u2009': '\\,',
  '\u202f': '\\,',
  '\u00b0': '$^\\circ$',
  '\u2713': 'yes',
  '\u2717': 'no',
};

/** Escapes LaTeX's special characters and writes every non-ASCII character as ASCII LaTeX: the result is pure ASCII. */
export const latexEscape = (s: string): string =>
  s
    .replace(/[\\&%$#_{}~^<>]/g, (ch) => LATEX_SPECIAL[ch])
    .replace(/\r?\n/g, ' ')
    .replace(/[^\x20-\x7e]/gu, (ch) => {
      if (LATEX_UNICODE[ch] !== undefined) return LATEX_UNICODE[ch];
      const plain = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      return /^[\x20-\x7e]+$/.test(plain) ? latexEscape(plain) : '?';
    });

/**
 * A booktabs table (needs \usepackage{booktabs} and \usepackage{graphicx}). The tabular is shrunk to the text width
 * when wider (never enlarged), so Tables 2 and 3 fit an article page; each note line goes below it as a footnote-sized
 * block of the same width.
 */
export function toLatex(table: Table): string {
  const t = forExport(table);
  const spec = t.columns.map((c) => (isNumeric(t, c) ? 'r' : 'l')).join('');
  const row = (cells: string[]) => `    ${cells.join(' & ')} \\\\`;
  const lines = [
    '% Needs \\usepackage{booktabs} and \\usepackage{graphicx} in the preamble.',
    '\\begin{table}[htbp]',
    '  \\centering',
    `  \\caption{${latexEscape(t.title)}}`,
    '  \\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%',
    `  \\begin{tabular}{${spec}}`,
    '    \\toprule',
    row(t.columns.map((c) => latexEscape(headerText(c)))),
    '    \\midrule',
    ...t.rows.map((r) => row(t.columns.map((c) => latexEscape(formatCell(r[c.key], c))))),
    '    \\bottomrule',
    '  \\end{tabular}}',
  ];
  if (t.note) {
    const notes = t.note.split(/\r?\n/).filter((l) => l.trim() !== '');
    lines.push(
      '  \\par\\smallskip',
      '  \\begin{minipage}{\\linewidth}\\footnotesize\\raggedright',
      ...notes.map((n, i) => `    ${latexEscape(n)}${i < notes.length - 1 ? '\\par' : ''}`),
      '  \\end{minipage}',
    );
  }
  lines.push('\\end{table}');
  return lines.join('\n') + '\n';
}

/** JSON keeps raw values and the column units, so nothing is lost to display rounding. */
export function toJSON(table: Table): string {
  const t = forExport(table);
  return (
    JSON.stringify(
      {
        title: t.title,
        columns: t.columns.map((c) => ({ key: c.key, label: c.label, ...(c.unit ? { unit: c.unit } : {}) })),
        rows: t.rows.map((r) =>
          Object.fromEntries(
            t.columns.map((c) => [
              c.key,
              r[c.key] === undefined || (typeof r[c.key] === 'number' && !Number.isFinite(r[c.key] as number))
                ? null
                : r[c.key],
            ]),
          ),
        ),
        ...(t.note ? { note: t.note } : {}),
      },
      null,
      2,
    ) + '\n'
  );
}

export function exportTable(t: Table, format: ExportFormat): string {
  switch (format) {
    case 'csv':
      return toCSV(t);
    case 'md':
      return toMarkdown(t);
    case 'tex':
      return toLatex(t);
    case 'json':
      return toJSON(t);
  }
}

/**
 * What a saved file holds: as exportTable, but a CSV file starts with a UTF-8 byte-order mark so spreadsheets
 * (Excel in particular) read "±", "÷" and names with accents as UTF-8 instead of the system code page. Copied text
 * and CLI output stay without it.
 */
export function exportFileContent(t: Table, format: ExportFormat): string {
  const text = exportTable(t, format);
  return format === 'csv' ? `\uFEFF${text}` : text;
}

/** A file name from the table title: "Per-partition metrics" → "per-partition-metrics.csv". */
export function exportFileName(t: Table, format: ExportFormat, prefix = ''): string {
  const base =
    `${prefix}${t.title}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'table';
  return `${base}.${EXPORT_FORMATS.find((f) => f.format === format)!.extension}`;
}
