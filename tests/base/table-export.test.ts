import { describe, expect, it } from 'vitest';
import {
  exportFileName,
  exportTable,
  formatCell,
  latexEscape,
  toCSV,
  toJSON,
  toLatex,
  toMarkdown,
  type Table,
} from '../../base/table.ts';

const table: Table = {
  title: 'Per-partition metrics — run #1',
  columns: [
    { key: 'file', label: 'File' },
    { key: 'sps', label: 'Samples/s', unit: 'galaxies/s', digits: 1 },
    { key: 'mem', label: 'Memory', unit: 'MB' },
  ],
  rows: [
    { file: 'a,b "c".pt', sps: 1234.5678, mem: 512 },
    { file: 'line\nbreak | pipe', sps: 0.04, mem: null },
    { file: ' padded', sps: Number.NaN, mem: 1e-7 },
  ],
  note: '100% synthetic_data & $5',
};

describe('CSV', () => {
  it('quotes commas, quotes, newlines and edge spaces, keeps full precision, and puts units in the header', () => {
    const csv = toCSV(table);
    expect(csv).toBe(
      'File,Samples/s (galaxies/s),Memory (MB)\r\n' +
        '"a,b ""c"".pt",1234.5678,512\r\n' +
        '"line\nbreak | pipe",0.04,\r\n' +
        '" padded",NaN,1e-7\r\n',
    );
  });
});

describe('Markdown', () => {
  it('escapes pipes, turns newlines into <br>, right-aligns numbers and rounds for display', () => {
    const md = toMarkdown(table);
    const lines = md.split('\n');
    expect(lines[0]).toBe('**Per-partition metrics — run #1**');
    expect(lines[2]).toBe('| File | Samples/s (galaxies/s) | Memory (MB) |');
    expect(lines[3]).toBe('| --- | ---: | ---: |');
    expect(lines[4]).toBe('| a,b "c".pt | 1234.6 | 512 |');
    expect(lines[5]).toBe('| line<br>break \\| pipe | 0.0 |  |');
    expect(lines[6]).toBe('|  padded | NaN | 1.000e-7 |');
    expect(md).toContain('_100% synthetic_data & $5_');
  });
});

describe('LaTeX', () => {
  it('escapes every special character', () => {
    expect(latexEscape('a & b % c $ d # e _ f { g } h ~ i ^ j \\ k < >')).toBe(
      'a \\& b \\% c \\$ d \\# e \\_ f \\{ g \\} h \\textasciitilde{} i \\textasciicircum{} j \\textbackslash{} k \\textless{} \\textgreater{}',
    );
  });
  it('writes a booktabs table with a caption and aligned columns', () => {
    const tex = toLatex(table);
    expect(tex).toContain('\\begin{tabular}{lrr}');
    expect(tex).toContain('\\caption{Per-partition metrics --- run \\#1}');
    const rules = tex
      .split('\n')
      .filter((l) => /\\(toprule|midrule|bottomrule)/.test(l))
      .map((l) => l.trim());
    expect(rules).toEqual(['\\toprule', '\\midrule', '\\bottomrule']);
    expect(tex).toContain('    File & Samples/s (galaxies/s) & Memory (MB) \\\\');
    expect(tex).toContain('    a,b "c".pt & 1234.6 & 512 \\\\');
    expect(tex).toContain('line break | pipe & 0.0 &  \\\\');
    expect(tex).toContain('100\\% synthetic\\_data \\& \\$5');
    expect(tex.trim().endsWith('\\end{table}')).toBe(true);
  });
});

describe('JSON', () => {
  it('keeps raw values, units and the note; non-finite numbers become null', () => {
    const j = JSON.parse(toJSON(table));
    expect(j.title).toBe(table.title);
    expect(j.columns).toEqual([
      { key: 'file', label: 'File' },
      { key: 'sps', label: 'Samples/s', unit: 'galaxies/s' },
      { key: 'mem', label: 'Memory', unit: 'MB' },
    ]);
    expect(j.rows[0]).toEqual({ file: 'a,b "c".pt', sps: 1234.5678, mem: 512 });
    expect(j.rows[2].sps).toBeNull();
    expect(j.note).toBe(table.note);
  });
});

describe('helpers', () => {
  it('formats cells and names files', () => {
    expect(formatCell(3)).toBe('3');
    expect(formatCell(3.14159265)).toBe('3.1416');
    expect(formatCell(123.456)).toBe('123.46');
    expect(formatCell(2.5e-5)).toBe('2.500e-5');
    expect(formatCell(2.5e10)).toBe('25000000000');
    expect(formatCell(true)).toBe('yes');
    expect(formatCell(undefined)).toBe('');
    expect(formatCell(Infinity)).toBe('Inf');
    expect(exportFileName(table, 'tex')).toBe('per-partition-metrics-run-1.tex');
    expect(exportTable(table, 'csv')).toBe(toCSV(table));
    expect(exportTable(table, 'md')).toBe(toMarkdown(table));
  });
});
