import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportFileContent, exportTable, latexEscape, type Table } from '../../base/table.ts';
import { folderSource } from '../../study/import/object-source.ts';
import { importRecordedRuns, measurementFromRecorded } from '../../study/import/recorded-runs.ts';
import { DEFAULT_PRICE_TABLE } from '../../base/price-table.ts';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { compareRuns } from '../../study/compare.ts';
import { table1, table2, table3 } from '../../study/tables.ts';

const RECORDED = fileURLToPath(new URL('../fixtures/recorded-results', import.meta.url));

/** Tables 1–3 as a user exports them: recorded cloud runs plus local runs in both precisions (the widest forms). */
async function studyTables(): Promise<Table[]> {
  const imported = await importRecordedRuns(folderSource(RECORDED));
  const cloud = imported.runs.map((r) => measurementFromRecorded(r, 2048));
  const local: StudyMeasurement[] = [32, 64, 512].flatMap((batchSize, i) =>
    // Three repeats each, so Table 1 has its widest form: the statistics columns (median, CV, 95% CIs) too.
    (['fp32', 'int8'] as const).flatMap((precision, j) =>
      [1, 2, 3].map((repeat) => ({
        id: `l${i}${j}${repeat}`,
        target: 'local' as const,
        sweep: 'batch-size' as const,
        precision,
        batchSize,
        partitionMb: null,
        dataLabel: null,
        repeat,
        ranks: 1,
        secondsPerBatch: 0.1 * (i + 1) + 0.01 * repeat,
        throughputBps: 3e6,
        memoryMb: 900,
        cpuTimeSeconds: 5,
        samplesPerSec: 4000,
        totalBits: 1e9,
        rankSecondsTotal: 5,
        rankSecondsSource: 'cpu-time' as const,
      })),
    ),
  );
  const runs = [...cloud, ...local];
  const tables = [table1(runs), table2(runs), table3(runs, { prices: DEFAULT_PRICE_TABLE, arch: 'x86_64' })];
  tables.push(compareRuns({ label: 'local & cloud_1', run: local[0] }, { label: 'cloud #2', run: cloud[0] }).table);
  for (const t of tables) expect(t.rows.length, t.title).toBeGreaterThan(0);
  return tables;
}

const nastyTitle = 'Run "α" — 100% of $5 & n_1 ≥ 2 ± σ (n − 1) ~ ^ \\ {x} <y> #3 café…';

describe('LaTeX export', () => {
  it('is pure ASCII with every special character escaped', async () => {
    const escaped = latexEscape(nastyTitle);
    expect(escaped).toMatch(/^[\x20-\x7e]*$/);
    expect(escaped).toBe(
      'Run "?" --- 100\\% of \\$5 \\& n\\_1 $\\geq$ 2 $\\pm$ $\\sigma$ (n $-$ 1) \\textasciitilde{} \\textasciicircum{} ' +
        '\\textbackslash{} \\{x\\} \\textless{}y\\textgreater{} \\#3 cafe\\ldots{}',
    );
    for (const t of await studyTables()) {
      const tex = exportTable(t, 'tex');
      expect(tex, t.title).toMatch(/^[\x20-\x7e\n]*$/);
      expect(tex).toContain('\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%');
      if (t.note) expect(tex).toContain('\\begin{minipage}{\\linewidth}\\footnotesize\\raggedright');
    }
  });

  const pdflatex = spawnSync('pdflatex', ['--version'], { encoding: 'utf8' });
  const haveTex = pdflatex.status === 0;
  if (!haveTex)
    console.log(
      'skipping the pdflatex compile check: pdflatex is not installed (apt-get install texlive-latex-base texlive-latex-recommended)',
    );

  it.skipIf(!haveTex)(
    'Tables 1-3 and the comparison compile under pdflatex with booktabs and fit the text width',
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-latex-'));
      const extra: Table = {
        title: nastyTitle,
        columns: [
          { key: 'a', label: 'A & B' },
          { key: 'n', label: 'n', unit: 'µs' },
        ],
        rows: [{ a: nastyTitle, n: 1.5 }],
        note: `${nastyTitle}\nsecond line`,
      };
      const body = [...(await studyTables()), extra].map((t) => exportTable(t, 'tex')).join('\n');
      const doc = [
        '\\documentclass{article}',
        '\\usepackage{booktabs}',
        '\\usepackage{graphicx}',
        '\\begin{document}',
        body,
        '\\end{document}',
        '',
      ].join('\n');
      writeFileSync(path.join(dir, 'tables.tex'), doc);
      const r = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'tables.tex'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const log = readFileSync(path.join(dir, 'tables.log'), 'latin1');
      expect(
        r.status,
        log
          .split('\n')
          .filter((l) => l.startsWith('!'))
          .join('\n'),
      ).toBe(0);
      expect(log).not.toMatch(/Overfull \\hbox/);
      expect(log).not.toMatch(/Missing character/);
      expect(readFileSync(path.join(dir, 'tables.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
    },
    150_000,
  );
});

/** Fields in one CSV record per RFC 4180: commas inside double quotes (with "" as an escaped quote) do not split. */
function csvFieldCount(line: string): number {
  let fields = 1;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      if (quoted && line[i + 1] === '"') i++;
      else quoted = !quoted;
    } else if (c === ',' && !quoted) fields++;
  }
  return fields;
}

describe('CSV export', () => {
  it('is RFC 4180 with CRLF; a saved file starts with a UTF-8 BOM for spreadsheets, copied text does not', async () => {
    for (const t of await studyTables()) {
      const csv = exportTable(t, 'csv');
      expect(csv.startsWith('\uFEFF')).toBe(false);
      expect(csv.endsWith('\r\n')).toBe(true);
      expect(csv.replace(/\r\n/g, '')).not.toMatch(/\n/);
      const file = exportFileContent(t, 'csv');
      expect(file).toBe(`\uFEFF${csv}`);
      // Every record has as many fields as the header, counted as RFC 4180 reads them (quoted fields may hold commas).
      const widths = csv
        .trimEnd()
        .split('\r\n')
        .map((l) => csvFieldCount(l));
      expect(new Set(widths).size, t.title).toBe(1);
    }
    expect(exportFileContent(await studyTables().then((t) => t[0]), 'md').startsWith('\uFEFF')).toBe(false);
  });
});

describe('Markdown export', () => {
  it("renders as a table: every row has the header's column count, pipes in cells escaped", async () => {
    const withPipe: Table = {
      title: 'a | b',
      columns: [
        { key: 'x', label: 'x|y' },
        { key: 'n', label: 'n' },
      ],
      rows: [{ x: 'p | q', n: 1 }],
      note: 'one\ntwo | three',
    };
    for (const t of [...(await studyTables()), withPipe]) {
      const md = exportTable(t, 'md');
      const rows = md.split('\n').filter((l) => l.startsWith('|'));
      const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
      expect(rows.length, t.title).toBe(t.rows.length + 2);
      expect(new Set(rows.map(cells)).size, t.title).toBe(1);
    }
    expect(exportTable(withPipe, 'md')).toContain('| p \\| q | 1 |');
  });
});
