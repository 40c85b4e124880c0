import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SCREENSHOTS_DIR as SHOTS,
  closeUi,
  launchChromium,
  openPage,
  screenshot,
  startUiHost,
  writeUiSettings,
  type UiHost,
} from '../support/ui-host.ts';

/**
 * A study table with 3 repeats in the browser: recorded results for 1GB / 25 MB partitions with three runs are
 * imported; the on-screen Table 2 shows the 95% CI (t) of the s/batch, the CSV export carries both CIs' bounds,
 * and the chart's caption says its error bars are the 95% CI. The expected values are computed here by hand
 * (t(0.975, 2) = 4.302653, published; for n = 3 the bootstrap percentile interval is [min, max]).
 */

const FIXTURE = path.resolve('tests/fixtures/recorded-results/result-partition-25MB/1GB');
let dataDir: string;
let source: string;
let host: UiHost;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

// Per repeat, the mean over its 3 ranks of execution_time (s/batch): runs 1 and 2 are the fixture's, run 3 is new.
const RUN3 = [2.4, 2.5, 2.3];
const perRepeat = [(2.0 + 2.3 + 2.1) / 3, 6.2 / 3, (2.4 + 2.5 + 2.3) / 3];
const mean = perRepeat.reduce((a, b) => a + b, 0) / 3;
const sd = Math.sqrt(perRepeat.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
const half = (4.302653 * sd) / Math.sqrt(3);

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-study-ci-'));
  source = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-study-ci-src-'));
  const dir = path.join(source, 'result-partition-25MB', '1GB');
  await mkdir(dir, { recursive: true });
  await cp(path.join(FIXTURE, '1'), path.join(dir, '1'), { recursive: true });
  await cp(path.join(FIXTURE, '2'), path.join(dir, '2'), { recursive: true });
  const one = JSON.parse(await readFile(path.join(FIXTURE, '1', 'combined_data.json'), 'utf8')) as Array<
    Record<string, unknown>
  >;
  const three = one.map((r, i) => ({
    ...r,
    'execution_time (seconds/batch)': RUN3[i],
    result_path: 'result-partition-25MB/1GB/3',
  }));
  await mkdir(path.join(dir, '3'));
  await writeFile(path.join(dir, '3', 'combined_data.json'), JSON.stringify(three));
  await writeUiSettings(dataDir, 64);
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  ({ context, page } = await openPage(browser, host.url, pageErrors, {
    acceptDownloads: true,
    viewport: { width: 1440, height: 900 },
  }));
}, 240_000);

afterAll(async () => {
  await closeUi({ context, browser, host });
  for (const d of [dataDir, source]) if (d) await rm(d, { recursive: true, force: true });
});

async function headersAndRows(table: Locator): Promise<{ head: string[]; rows: string[][] }> {
  const head = (await table.locator('thead th').allTextContents()).map((s) => s.trim());
  const rows: string[][] = [];
  const trs = table.locator('tbody tr');
  for (let i = 0; i < (await trs.count()); i++)
    rows.push((await trs.nth(i).locator('td').allTextContents()).map((s) => s.trim()));
  return { head, rows };
}

describe('confidence intervals in the browser', () => {
  it('shows the 95% CI (t) of a 3-repeat row on screen and both CIs in the CSV export', async () => {
    await page.goto(`${host.origin}/#/import`);
    await page.getByTestId('import-source').fill(source);
    await page.getByTestId('import-go').click();
    const t2 = page.getByTestId('study-table-2');
    await t2.waitFor({ timeout: 60_000 });

    const { head, rows } = await headersAndRows(t2);
    const row = rows.find((r) => r[0] === '1GB' && r[1] === '25')!;
    expect(row.at(-1)).toBe('3'); // repeats
    const ciCol = head.indexOf('95% CI (t) (s/batch)');
    expect(ciCol).toBeGreaterThan(head.indexOf('Average execution time (s/batch)'));
    expect(row[head.indexOf('Average execution time (s/batch)')]).toBe(mean.toFixed(3));
    expect(row[ciCol]).toBe(`[${(mean - half).toFixed(3)}, ${(mean + half).toFixed(3)}]`);
    // The export-only numbers are not on screen.
    expect(head.some((h) => /bootstrap|median|CV/.test(h))).toBe(false);
    expect(await t2.locator('.table-note').textContent()).toContain('B = 10,000');

    await t2.getByLabel('Export format').selectOption('csv');
    const [d] = await Promise.all([
      page.waitForEvent('download'),
      t2.getByRole('button', { name: 'Export', exact: true }).click(),
    ]);
    const csv = (await readFile((await d.path())!, 'utf8'))
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    const header = csv[0].split(',');
    const line = csv
      .slice(1)
      .find((l) => l.startsWith('1GB,25,'))!
      .split(',');
    const col = (name: string) => {
      const i = header.indexOf(name);
      expect(i, name).toBeGreaterThan(0);
      return Number(line[i]);
    };
    expect(col('Average execution time 95% CI t low (s/batch)')).toBeCloseTo(mean - half, 6);
    expect(col('Average execution time 95% CI t high (s/batch)')).toBeCloseTo(mean + half, 6);
    expect(col('Average execution time 95% CI bootstrap low (s/batch)')).toBeCloseTo(Math.min(...perRepeat), 9);
    expect(col('Average execution time 95% CI bootstrap high (s/batch)')).toBeCloseTo(Math.max(...perRepeat), 9);
    expect(col('Average execution time median (s/batch)')).toBeCloseTo(perRepeat[0], 9);
    expect(col('Average execution time CV')).toBeCloseTo(sd / mean, 9);
    expect(header.some((h) => h.startsWith('95% CI (t)'))).toBe(false);

    const chart = page.getByTestId('chart-time-vs-data');
    await chart.waitFor();
    expect(await chart.getByTestId('error-bar-caption').textContent()).toBe(
      'Error bars: 95% CI of the mean (t, n − 1 df); every point has n ≥ 3 repeats.',
    );
    await chart.getByLabel('Error bars').selectOption('sd');
    expect(await chart.getByTestId('error-bar-caption').textContent()).toBe(
      'Error bars: ± sample sd over repeats (n − 1).',
    );
    await screenshot(page, 'study-ci', true);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
