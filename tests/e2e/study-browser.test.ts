import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
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
 * The study screens end to end in browser mode: a local sweep over two batch sizes (Table 1 and its chart), the
 * exports, the report, presentation mode, the import of recorded results (Tables 2 and 3), Prices and Compare.
 * Debian Chromium against `cosmicai ui` with its own data folder; the tests run in order and share the host.
 */

const fixture = (f: string) => path.resolve('tests/fixtures', f);
let dataDir: string;
let host: UiHost;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let studyUrl = '';
const pageErrors: string[] = [];

const shot = (name: string, p: Page = page, fullPage = true) => screenshot(p, `study-${name}`, fullPage);

async function download(card: Locator, button: string): Promise<{ name: string; text: string }> {
  const [d] = await Promise.all([
    page.waitForEvent('download'),
    card.getByRole('button', { name: button, exact: true }).click(),
  ]);
  return { name: d.suggestedFilename(), text: await readFile((await d.path())!, 'utf8') };
}

/** The body cells of a table, row by row, as shown. */
async function rowsOf(table: Locator): Promise<string[][]> {
  const rows = table.locator('tbody tr');
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++)
    out.push((await rows.nth(i).locator('td').allTextContents()).map((s) => s.trim()));
  return out;
}

/**
 * Tables 2 and 3 of the recorded-results fixture, against the values computed by hand in study-import.test.ts:
 * 1GB/25 MB has two repeats of 3 ranks, s/batch 6.4/3 and 6.2/3 (mean 2.100), 97e6 and 101e6 bit/s (0.099 Gbps),
 * 8400 MB (8.2 GB); Table 3: 3 invocations, total duration (19.5 + 18) / 2 = 18.75 s ± 1.06 (sample sd), at the
 * study's 10240 MB Lambda memory (the import's default).
 */
async function checkRecordedTables(t2: Locator, t3: Locator) {
  const r2 = await rowsOf(t2);
  expect(r2.map((r) => r.slice(0, 2).join('/'))).toEqual(['1GB/25', '1GB/50', 'total/50', 'total/100']);
  expect(r2[0]).toEqual(expect.arrayContaining(['2.100', '0.099', '8.2']));
  expect(r2[0].slice(-2)).toEqual(['3', '2']); // ranks, repeats (concurrent jobs is — : imports have no timeline)
  const r3 = await rowsOf(t3);
  expect(r3[0].slice(0, 3)).toEqual(['1GB', '25', '3']);
  // The recorded results carry no REPORT lines, so the duration is the ranks' CPU time, and says so.
  expect(r3[0].slice(3, 7)).toEqual(['18.8', '1.1', 'estimated from CPU time', '10.00']);
  expect(r3[0].at(-1)).toBe('2');
}

async function exportAs(card: Locator, format: 'csv' | 'md' | 'tex' | 'json') {
  await card.getByLabel('Export format').selectOption(format);
  return download(card, 'Export');
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-study-'));
  await writeUiSettings(dataDir, 64);
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  ({ context, page } = await openPage(browser, host.url, pageErrors, {
    acceptDownloads: true,
    viewport: { width: 1440, height: 900 },
  }));
}, 240_000);

afterAll(async () => {
  await closeUi({ context, browser, host });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the study in the browser', () => {
  it('runs a local sweep over batch sizes 16 and 32 and shows Table 1 and its chart', async () => {
    await page.goto(`${host.origin}/#/study`);
    const form = page.getByTestId('new-study');
    await form.waitFor();
    // The form starts with the study's defaults; the estimate follows the parameters.
    expect(await page.getByTestId('study-batch-sizes').inputValue()).toBe('32, 64, 128, 256, 512');
    await page.getByTestId('study-target').selectOption('cloud');
    await expect
      .poll(() => page.getByTestId('study-estimate').textContent(), { timeout: 10_000 })
      .toMatch(/This study will invoke about [\d,]+ Lambdas, about \$\d+\.\d\d\./);
    await page.getByTestId('estimate-table').waitFor();
    await shot('new-cloud-estimate');

    await page.getByTestId('study-target').selectOption('local');
    await page.getByTestId('study-name').fill('Two batch sizes');
    await page.getByTestId('study-batch-sizes').fill('16, 32');
    await page.getByTestId('study-repeats').fill('1');
    await page.getByTestId('study-data').fill(fixture('small-64.pt'));
    await expect
      .poll(() => page.getByTestId('study-estimate').textContent(), { timeout: 10_000 })
      .toContain('2 job(s): 2 local, 0 cloud.');
    await page.getByTestId('study-batch-sizes').fill('16, x');
    await expect
      .poll(() => page.getByTestId('study-form-error').textContent())
      .toContain('"x" is not a positive number');
    expect(await page.getByTestId('study-start').isDisabled()).toBe(true);
    await page.getByTestId('study-batch-sizes').fill('16, 32');
    await page.getByTestId('study-start').click();

    await page.getByTestId('study-title').waitFor();
    studyUrl = page.url();
    await expect
      .poll(() => page.getByTestId('study-state').textContent(), { timeout: 180_000, interval: 500 })
      .toBe('finished');
    const t1 = page.getByTestId('study-table-1');
    await t1.waitFor();
    expect(await t1.locator('tbody tr').count()).toBe(2);
    expect(await t1.locator('tbody tr').nth(0).locator('td').nth(0).textContent()).toBe('16');
    expect(await t1.locator('tbody tr').nth(1).locator('td').nth(0).textContent()).toBe('32');
    const chart = page.getByTestId('chart-time-vs-batch');
    const box = await chart.locator('canvas').boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(await page.getByTestId('study-findings').textContent()).toMatch(/batch/i);
    await page.waitForTimeout(800);
    await shot('finished');
  }, 300_000);

  it('exports Table 1 as CSV, Markdown and LaTeX, and the chart as SVG', async () => {
    const t1 = page.getByTestId('study-table-1');
    const csv = await exportAs(t1, 'csv');
    expect(csv.name).toBe('table-1-execution-time-vs-batch-size.csv');
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).toBe(
      'Batch size,Execution time (s/batch),± sd (s/batch),Throughput (Mbps),± sd (Mbps),Memory (GB),± sd (GB),Repeats',
    );
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['16', '32']);
    expect(lines.slice(1).every((l) => Number(l.split(',')[1]) > 0 && l.endsWith(',1'))).toBe(true);
    const md = await exportAs(t1, 'md');
    expect(md.text).toContain('| Batch size | Execution time (s/batch) |');
    expect(md.text).toMatch(/\| 16 \| [0-9.]+ \|/);
    const tex = await exportAs(t1, 'tex');
    expect(tex.name).toMatch(/\.tex$/);
    expect(tex.text).toContain('\\begin{tabular}');
    expect(tex.text).toMatch(/16 & [0-9.]+ &/);

    const svg = await download(page.getByTestId('chart-time-vs-batch'), 'SVG');
    expect(svg.name).toMatch(/time-vs-batch\.svg$/);
    expect(svg.text).toMatch(/^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.text).toContain('Execution time vs batch size');
    expect(svg.text).toContain('>16<');
    expect(svg.text).toContain('>32<');
    const [pngDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('chart-time-vs-batch').getByRole('button', { name: 'PNG', exact: true }).click(),
    ]);
    expect(pngDownload.suggestedFilename()).toMatch(/\.png$/);
    // A real PNG image of some size, not just a file name: the signature and a non-trivial body.
    const png = await readFile((await pngDownload.path())!);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(5000);
  });

  it('opens the report in a new tab, with the summary, the tables and the settings', async () => {
    const [report] = await Promise.all([context.waitForEvent('page'), page.getByTestId('report-open').click()]);
    await report.waitForLoadState();
    await expect.poll(() => report.locator('h1').textContent()).toBe('Two batch sizes');
    const text = (await report.locator('body').textContent())!;
    expect(text).toContain('Summary');
    expect(text).toContain('Table 1. Execution Time vs Batch Size');
    expect(text).toContain('small-64.pt');
    expect(text).toContain('Environment');
    expect(await report.locator('svg').count()).toBeGreaterThan(0);
    // The report's own stylesheet is applied (the app's CSP forbids inline <style>, so it goes through CSSOM).
    expect(await report.evaluate(() => getComputedStyle(document.body).maxWidth)).toBe('1000px');
    await report.setViewportSize({ width: 1200, height: 900 });
    await report.screenshot({ path: path.join(SHOTS, 'study-report.png'), fullPage: true });
    await report.close();
  });

  it('steps through presentation mode with the arrow keys and leaves with Esc', async () => {
    await page.getByTestId('present').click();
    const counter = page.getByTestId('present-counter');
    await expect.poll(() => counter.textContent()).toMatch(/^1 \/ \d+$/);
    const total = Number((await counter.textContent())!.split('/ ')[1]);
    expect(total).toBeGreaterThanOrEqual(5); // title, comparison, Table 1, two charts
    expect(await page.getByTestId('present-slide').getAttribute('data-kind')).toBe('title');
    await shot('present-1', page, false);
    const kinds: string[] = [];
    for (let i = 2; i <= total; i++) {
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => counter.textContent()).toBe(`${i} / ${total}`);
      const kind = (await page.getByTestId('present-slide').getAttribute('data-kind'))!;
      kinds.push(kind);
      if (!kinds.slice(0, -1).includes(kind)) {
        await page.waitForTimeout(300);
        await shot(`present-${i}-${kind}`, page, false);
      }
    }
    expect(kinds).toEqual(expect.arrayContaining(['compare', 'table', 'chart']));
    await page.keyboard.press('ArrowRight'); // at the end it stays
    expect(await counter.textContent()).toBe(`${total} / ${total}`);
    await page.keyboard.press('ArrowLeft');
    expect(await counter.textContent()).toBe(`${total - 1} / ${total}`);
    await page.keyboard.press('Escape');
    await page.getByTestId('study-title').waitFor();
    expect(page.url()).toBe(studyUrl);
  });

  it('imports the recorded results folder into History and shows Tables 2 and 3', async () => {
    await page.goto(`${host.origin}/#/import`);
    await page.getByTestId('import-source').fill(fixture('recorded-results'));
    await page.getByTestId('import-go').click();
    await page.getByTestId('import-table').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('import-summary').textContent()).toMatch(
      /^\d+ recorded run\(s\) from .*recorded-results: \d+ added to History, 0 already there\.$/,
    );
    expect(await page.getByTestId('import-problems').textContent()).toContain('timing');
    const t2 = page.getByTestId('study-table-2');
    const t3 = page.getByTestId('study-table-3');
    await t2.waitFor();
    await t3.waitFor();
    await checkRecordedTables(t2, t3);
    const csv3 = await exportAs(t3, 'csv');
    expect(csv3.text.split(/\r?\n/)[0]).toMatch(/Partition.*Invocations.*Cost/i);
    await page.getByTestId('chart-cost-vs-data').waitFor();
    await page.waitForTimeout(800);
    await shot('import');
    // Imported again: nothing new in History.
    await page.getByTestId('import-go').click();
    await expect
      .poll(() => page.getByTestId('import-summary').textContent(), { timeout: 30_000 })
      .toMatch(/: 0 added to History, \d+ already there\./);
  }, 120_000);

  it('builds the tables from runs chosen in History', async () => {
    await page.goto(`${host.origin}/#/study`);
    const card = page.getByTestId('history-study');
    await card.getByRole('button', { name: 'Choose runs…' }).click();
    await card.getByRole('button', { name: 'All recorded runs' }).click();
    await card.getByTestId('history-study-show').click();
    await page.getByTestId('study-table-2').waitFor();
    await page.getByTestId('study-table-3').waitFor();
    await checkRecordedTables(page.getByTestId('study-table-2'), page.getByTestId('study-table-3'));
    // "All local runs" adds to the ticked recorded runs; "None" then "All local runs" picks the local ones only.
    const show = card.getByTestId('history-study-show');
    const ticked = async () => Number(/\((\d+)\)/.exec((await show.textContent()) ?? '')![1]);
    const recorded = await ticked();
    await card.getByRole('button', { name: 'All local runs' }).click();
    const both = await ticked();
    expect(both).toBeGreaterThan(recorded);
    await card.getByRole('button', { name: 'None' }).click();
    await card.getByRole('button', { name: 'All local runs' }).click();
    expect(await ticked()).toBe(both - recorded);
    await show.click();
    await page.getByTestId('study-table-1').waitFor();
    // The local study's two batch sizes, one row each, with a positive time per batch. Table 1 of the recorded
    // runs (batch sizes 32 and 64) is on screen until the new tables arrive: wait for them.
    await expect
      .poll(async () => (await rowsOf(page.getByTestId('study-table-1'))).map((r) => r[0]).sort(), { timeout: 30_000 })
      .toEqual(['16', '32']);
    const t1 = await rowsOf(page.getByTestId('study-table-1'));
    for (const r of t1) expect(Number(r[1])).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('study-table-2').count()).toBe(0);
    // The study list shows the finished study.
    expect(await page.getByTestId('study-row').first().textContent()).toContain('Two batch sizes');
  });

  it('shows the price table with its source and date, and refuses an invalid price', async () => {
    await page.goto(`${host.origin}/#/prices`);
    const src = page.getByTestId('price-source');
    await src.waitFor();
    expect(await src.textContent()).toMatch(/as of \d{4}-\d{2}-\d{2}/);
    expect(await src.textContent()).toContain('aws.amazon.com/lambda/pricing');
    await page.getByLabel('Lambda requests').fill('-1');
    await page.getByTestId('price-save').click();
    await expect.poll(() => page.getByTestId('error-message').textContent()).toContain('usdPerMillionRequests');
    await page.getByLabel('Lambda requests').fill('0.25');
    await page.getByTestId('price-asof').fill('2026-12-01');
    await page.getByTestId('price-save').click();
    await expect.poll(() => src.textContent()).toContain('Your prices');
    expect(JSON.parse(await readFile(path.join(dataDir, 'prices.json'), 'utf8')).lambda.usdPerMillionRequests).toBe(
      0.25,
    );
    await shot('prices');
  });

  it('compares two runs with the notes and how each side measured', async () => {
    await page.goto(`${host.origin}/#/compare`);
    await page.getByTestId('compare-go').click();
    const table = page.getByTestId('study-compare-table');
    await table.waitFor();
    const metrics = await table.locator('tbody tr td:first-child').allTextContents();
    const shown = metrics.filter((m) => m !== 'Warning' && m !== 'Peak memory per worker (MB, physical)');
    expect(shown).toEqual([
      'Execution Time/Batch (s)',
      'Throughput (Mbps)',
      'CPU Time (s)',
      'Memory (MB)',
      'Samples/sec',
    ]);
    const notes = await table.locator('tbody tr td:last-child').allTextContents();
    // Runs that are not like with like get warning rows, a warning card, and no "% faster".
    const warned = metrics.includes('Warning');
    expect(await page.getByTestId('compare-warnings').count()).toBe(warned ? 1 : 0);
    if (warned) expect(notes.some((n) => /^not compared: /.test(n))).toBe(true);
    else expect(notes.every((n) => /faster|slower|higher|less|more|about the same|×|%/.test(n))).toBe(true);
    expect(await page.getByTestId('measured-how').textContent()).toMatch(/local:|cloud:|A:/);
    await shot('compare');
    expect(pageErrors).toEqual([]);
  });

  it('resumes a study after the host was killed in the middle of it', async () => {
    await page.goto(`${host.origin}/#/study`);
    await page.getByTestId('study-name').fill('Killed midway');
    await page.getByTestId('study-batch-sizes').fill('8, 16, 32');
    await page.getByTestId('study-repeats').fill('1');
    await page.getByTestId('study-data').fill(fixture('small-64.pt'));
    await expect.poll(() => page.getByTestId('study-estimate').textContent()).toContain('3 job(s)');
    await page.getByTestId('study-start').click();
    await page.getByTestId('study-title').waitFor();
    const url = page.url();
    // Kill the host (no clean shutdown) while a job runs: that job stays "running" in study.json.
    await expect
      .poll(() => page.getByTestId('study-message').textContent(), { timeout: 60_000, interval: 100 })
      .toMatch(/galaxies|started/);
    host.proc.kill('SIGKILL');
    await new Promise((r) =>
      host.proc.exitCode !== null || host.proc.signalCode !== null ? r(null) : host.proc.once('exit', r),
    );
    host = await startUiHost(dataDir);
    await context.close();
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    await page.goto(`${host.url}#/study`);
    const row = page.getByTestId('study-row').filter({ hasText: 'Killed midway' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/interrupted|paused/);
    await shot('interrupted');
    await row.getByTestId('study-resume').click();
    await page.getByTestId('study-title').waitFor();
    expect(page.url().split('#')[1]).toBe(url.split('#')[1]);
    await expect
      .poll(() => page.getByTestId('study-state').textContent(), { timeout: 180_000, interval: 500 })
      .toBe('finished');
    const t1 = page.getByTestId('study-table-1');
    expect(await t1.locator('tbody tr td:first-child').allTextContents()).toEqual(['8', '16', '32']);
  }, 300_000);
});
