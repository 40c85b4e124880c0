import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_TABLE } from '../../base/price-table.ts';
import { measurementFromRunRecord } from '../../study/cloud-measurement.ts';
import { studyReportHtml } from '../../study/report-html.ts';
import { SWEEP_3X3, sweepRecord } from '../support/memory-sweep-runs.ts';

/**
 * The report's Lambda memory section on the shared 3 × 3 sweep (1024, 2048, 4096 MB, three repeats of 4 ranks).
 * By hand, at the default x86 prices ($0.0000166667 per GB-s, $0.20 per million requests): 2048 MB averages
 * Σ billed 20 s → 20 × 2 GB = 40 GB-s → $0.000666668 + 4 requests × $0.0000002 = $0.000667468 per execution;
 * 1024 MB 42 s × 1 GB = 42 GB-s → $0.0007008; 4096 MB 14 s × 4 GB = 56 GB-s → $0.0009341.
 */
const report = (runs = SWEEP_3X3) =>
  studyReportHtml({
    title: 'Memory sweep',
    source: 'test',
    runs: runs.map((r) => measurementFromRunRecord(sweepRecord(r))),
    prices: DEFAULT_PRICE_TABLE,
    settings: [],
    environment: [],
    generatedAt: new Date('2026-12-06T12:00:00Z'),
  });

const rowOf = (html: string, memoryMb: number): string[] => {
  const section = html.slice(html.indexOf('<h2>Lambda memory</h2>'));
  const row = [...section.matchAll(/<tr>(.*?)<\/tr>/g)].find((m) => m[1].startsWith(`<td class="num">${memoryMb}<`));
  return row ? [...row[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]) : [];
};

describe('the report’s Lambda memory section', () => {
  it('shows the recommendation table, its pick and one chart when a job ran at several memory sizes', () => {
    const html = report();
    expect(html).toContain('<h2>Lambda memory</h2>');
    expect(html).toContain('<h3>Lambda memory recommendation</h3>');
    expect(rowOf(html, 1024).slice(0, 3)).toEqual(['1024', '3', '0.0007008']);
    expect(rowOf(html, 2048).slice(0, 3)).toEqual(['2048', '3', '0.0006675']);
    expect(rowOf(html, 2048).at(-1)).toBe('cheapest, balanced');
    expect(rowOf(html, 4096).slice(0, 3)).toEqual(['4096', '3', '0.0009341']);
    expect(rowOf(html, 4096).at(-1)).toBe('fastest');
    expect(html).toContain('Recommended (balanced, w = 0.5): 2048 MB.');
    const section = html.slice(html.indexOf('<h2>Lambda memory</h2>'), html.indexOf('<h2>Settings</h2>'));
    expect(section.match(/<svg /g)).toHaveLength(1);
  });

  it('is left out when every run had the same memory size (one size gives no choice)', () => {
    const html = report(SWEEP_3X3.filter((r) => r.memoryMb === 2048));
    expect(html).not.toContain('Lambda memory recommendation');
    expect(html).not.toContain('<h2>Lambda memory</h2>');
  });
});
