import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SCREENSHOTS_DIR,
  closeUi,
  launchChromium,
  openPage,
  screenshot,
  startUiHost,
  writeUiSettings,
  type UiHost,
} from '../support/ui-host.ts';
import { SWEEP_3X3, saveSweepRuns, sweepRecord } from '../support/memory-sweep-runs.ts';
import { measurementFromRunRecord } from '../../study/cloud-measurement.ts';
import { createStudy, saveStudy } from '../../study/study-store.ts';

/**
 * Study → Recommendation in Debian Chromium against `cosmicai ui`, on a History prepared with the same job at
 * 1024, 2048 and 4096 MB, three repeats each (tests/support/memory-sweep-runs.ts): the three picks, the table's
 * values, the weight (0 = fastest, 1 = cheapest, a bad value refused), the chart's labels and the exports.
 */

let dataDir: string;
let host: UiHost;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let studyId: string;
const pageErrors: string[] = [];

async function rowsOf(table: Locator): Promise<string[][]> {
  const rows = table.locator('tbody tr');
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++)
    out.push((await rows.nth(i).locator('td').allTextContents()).map((s) => s.trim()));
  return out;
}

async function download(card: Locator, button: string): Promise<{ name: string; text: string }> {
  const [d] = await Promise.all([
    page.waitForEvent('download'),
    card.getByRole('button', { name: button, exact: true }).click(),
  ]);
  return { name: d.suggestedFilename(), text: await readFile((await d.path())!, 'utf8') };
}

const pickMb = (s: string) => page.getByTestId(`recommend-pick-${s}-mb`).textContent();

beforeAll(async () => {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-recommend-'));
  await writeUiSettings(dataDir);
  await saveSweepRuns(dataDir, SWEEP_3X3);
  // A study whose done jobs are the three sizes' first repeats (1024: 40 s, 2048: 18 s, 4096: 14 s in all).
  const state = await createStudy(dataDir, { target: 'cloud', sweeps: ['data-size'], partitionSizesMb: [25] }, 'Sizes');
  const job = state.jobs[0];
  state.jobs = SWEEP_3X3.filter((r) => r.repeat === 1).map((r, i) => {
    const m = measurementFromRunRecord(sweepRecord(r));
    return { ...job, id: `${job.id}/m${i}`, status: 'done' as const, result: m, runId: null };
  });
  await saveStudy(dataDir, state);
  studyId = state.id;
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  ({ context, page } = await openPage(browser, host.url, pageErrors, { acceptDownloads: true }));
}, 240_000);

afterAll(async () => {
  await closeUi({ context, browser, host });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the memory recommendation in the browser', () => {
  it('opens from the Study screen and shows the three picks and the table', async () => {
    await page.goto(`${host.origin}/#/study`);
    await page.getByTestId('recommend-open').click();
    await page.getByTestId('recommend-title').waitFor();
    await expect.poll(() => pickMb('cost'), { timeout: 20_000 }).toBe('2048 MB');
    expect(await pickMb('speed')).toBe('4096 MB');
    expect(await pickMb('balanced')).toBe('2048 MB');
    expect(await page.getByTestId('recommend-recommended').textContent()).toBe('Recommended: 2048 MB (balanced)');
    expect(await page.getByTestId('recommend-pick-cost').textContent()).toContain(
      'vs 1024 MB: 5% cheaper, 52% faster; vs 4096 MB: 29% cheaper, 43% slower',
    );
    expect(await page.getByTestId('recommend-summary').textContent()).toBe(
      '9 cloud run(s) in History: 9 run(s), 1 group(s).',
    );
    const rows = await rowsOf(page.getByTestId('recommend-table'));
    // memory, repeats, cost, ± sd, vs cheapest, duration, ± sd, vs fastest, wall time, ± sd, score, pick
    expect(rows).toEqual([
      ['1024', '3', '0.0007008', '0.0000333', '5.0', '10.500', '0.500', '200.0', '16.0', '1.0', '0.875', '—'],
      [
        '2048',
        '3',
        '0.0006675',
        '0.0000667',
        '0.0',
        '5.000',
        '0.500',
        '42.9',
        '10.0',
        '1.0',
        '0.595',
        'cheapest, balanced',
      ],
      ['4096', '3', '0.0009341', '0.0000000', '40.0', '3.500', '0.000', '0.0', '8.0', '1.0', '0.667', 'fastest'],
    ]);
    const chart = page.getByTestId('recommend-chart');
    for (const mb of ['1024 MB', '2048 MB', '4096 MB']) await chart.getByText(mb, { exact: true }).waitFor();
    expect(await chart.locator('g[data-picks="fastest"]').getAttribute('data-memory-mb')).toBe('4096');
    await page.waitForTimeout(300);
    await screenshot(page, 'recommend');
  }, 120_000);

  it('weight 0 makes the balanced pick the fastest and 1 the cheapest; a bad weight is refused', async () => {
    await page.getByTestId('recommend-weight').fill('0');
    await expect.poll(() => pickMb('balanced')).toBe('4096 MB');
    await page.getByTestId('recommend-weight').fill('1');
    await expect.poll(() => pickMb('balanced')).toBe('2048 MB');
    await page.getByTestId('recommend-weight').fill('0.2');
    await expect.poll(() => pickMb('balanced')).toBe('4096 MB');
    await page.getByTestId('recommend-weight').fill('1.5');
    await expect.poll(() => page.getByTestId('recommend-weight-error').textContent()).toContain('from 0 (fastest)');
    await page.getByTestId('recommend-weight').fill('0.5');
    await expect.poll(() => pickMb('balanced')).toBe('2048 MB');
    await page.getByTestId('recommend-strategy').selectOption('speed');
    await expect
      .poll(() => page.getByTestId('recommend-recommended').textContent())
      .toBe('Recommended: 4096 MB (fastest)');
    expect(pageErrors).toEqual([]);
  });

  it('exports the table (CSV) and the chart (SVG)', async () => {
    const table = page.getByTestId('recommend-table');
    await table.getByLabel('Export format').selectOption('csv');
    const csv = await download(table, 'Export');
    expect(csv.name).toBe('lambda-memory-recommendation.csv');
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    expect(lines[0]).toMatch(/^Lambda memory \(MB\),Repeats,Cost per execution \(\$\)/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['1024', '2048', '4096']);
    const svg = await download(page.getByTestId('recommend-group'), 'SVG');
    expect(svg.name).toBe('memory-recommendation-1.svg');
    expect(svg.text).toMatch(/^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.text).toContain('>2048 MB</text>');
  });

  it("opens from a study's page for that study's runs", async () => {
    await page.goto(`${host.origin}/#/study/${studyId}`);
    await page.getByTestId('study-recommend').click();
    await page.getByTestId('recommend-title').waitFor();
    expect(page.url()).toContain(`#/study/recommend/${studyId}`);
    // One repeat each: 1024 MB 40 GB-s and 10 s, 2048 MB 36 GB-s and 4.5 s, 4096 MB 56 GB-s and 3.5 s.
    await expect.poll(() => pickMb('cost'), { timeout: 20_000 }).toBe('2048 MB');
    expect(await pickMb('speed')).toBe('4096 MB');
    expect(await page.getByTestId('recommend-summary').textContent()).toBe('Sizes: 3 run(s), 1 group(s).');
    const rows = await rowsOf(page.getByTestId('recommend-table'));
    expect(rows.map((r) => [r[0], r[1], r[3]])).toEqual([
      ['1024', '1', '—'],
      ['2048', '1', '—'],
      ['4096', '1', '—'],
    ]);
    expect(pageErrors).toEqual([]);
  });

  it("puts the recommendation in the study's report and at the end of its presentation", async () => {
    await page.goto(`${host.origin}/#/study/${studyId}`);
    const [report] = await Promise.all([context.waitForEvent('page'), page.getByTestId('report-open').click()]);
    await report.waitForLoadState();
    await expect.poll(() => report.locator('h2').allTextContents()).toContain('Lambda memory');
    const memoryTable = report.locator('section.table', { hasText: 'Lambda memory recommendation' });
    expect(await memoryTable.locator('tbody tr td:first-child').allTextContents()).toEqual(['1024', '2048', '4096']);
    expect(await memoryTable.locator('li').first().textContent()).toMatch(
      /^Recommended \(balanced, w = 0\.5\): 2048 MB\./,
    );
    await report.close();

    await page.getByTestId('present').click();
    const counter = page.getByTestId('present-counter');
    await expect.poll(() => counter.textContent()).toMatch(/^1 \/ \d+$/);
    await page.keyboard.press('End');
    const total = Number((await counter.textContent())!.split('/ ')[1]);
    await expect.poll(() => counter.textContent()).toBe(`${total} / ${total}`);
    const last = page.getByTestId('present-slide');
    expect(await last.getAttribute('data-kind')).toBe('memory-chart');
    for (const mb of ['1024 MB', '2048 MB', '4096 MB']) await last.getByText(mb, { exact: true }).waitFor();
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByTestId('present-slide').locator('h1').textContent()).toBe('Lambda memory recommendation');
    await screenshot(page, 'present-memory-table');
    await page.keyboard.press('Escape');
    expect(pageErrors).toEqual([]);
  });
});
