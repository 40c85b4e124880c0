import { useState } from 'react';
import {
  EXPORT_FORMATS,
  exportFileContent,
  exportFileName,
  exportTable,
  formatCell,
  headerText,
  screenColumns,
  type ExportFormat,
  type Table,
} from '../../../base/table.ts';
import { copyText, saveFile } from '../lib/download.ts';
import { toast } from '../lib/toast.ts';

const isNum = (t: Table, key: string, align?: string) =>
  align === 'right' || (align === undefined && t.rows.some((r) => typeof r[key] === 'number'));

/** A table with its export tools: save or copy as CSV, Markdown, LaTeX or JSON. */
export function DataTable({ table, testId, heading = true }: { table: Table; testId?: string; heading?: boolean }) {
  const [format, setFormat] = useState<ExportFormat>('csv');
  const meta = EXPORT_FORMATS.find((f) => f.format === format)!;
  // Export-only columns (e.g. a study table's median, CV and CI bounds) are in the files, not on screen.
  const shown = screenColumns(table);
  // Columns with long strings (file paths, sources) may wrap inside a word, so the table never scrolls sideways.
  const longCols = new Set(
    shown
      .filter((c) => table.rows.some((r) => typeof r[c.key] === 'string' && (r[c.key] as string).length > 24))
      .map((c) => c.key),
  );
  const save = async () => {
    try {
      if (await saveFile(exportFileName(table, format), exportFileContent(table, format), meta.mime))
        toast(`Saved ${meta.label}`);
    } catch (err) {
      toast(`Could not save: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const copy = async () => {
    await copyText(exportTable(table, format));
    toast(`Copied as ${meta.label}`);
  };
  return (
    <div className="card" data-testid={testId}>
      <div className="card-head">
        {heading ? <h2>{table.title.split(' — ')[0]}</h2> : <span />}
        <div className="table-tools">
          <select aria-label="Export format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
            {EXPORT_FORMATS.map((f) => (
              <option key={f.format} value={f.format}>
                {f.label}
              </option>
            ))}
          </select>
          <button className="small" onClick={save} title={`Save this table as ${meta.label}`}>
            Export
          </button>
          <button className="small" onClick={copy} title={`Copy this table as ${meta.label}`}>
            Copy
          </button>
        </div>
      </div>
      <div className="table-wrap">
        <table className={shown.length >= 9 ? 'data wide' : 'data'}>
          <thead>
            <tr>
              {shown.map((c) => (
                <th key={c.key} className={isNum(table, c.key, c.align) ? 'num' : undefined}>
                  {headerText(c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((r, i) => (
              <tr key={i}>
                {shown.map((c) => (
                  <td
                    key={c.key}
                    className={isNum(table, c.key, c.align) ? 'num' : longCols.has(c.key) ? 'long' : undefined}
                  >
                    {formatCell(r[c.key], c) || '—'}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {table.note && <div className="table-note">{table.note}</div>}
    </div>
  );
}
