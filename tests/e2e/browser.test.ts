import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SCREENSHOTS_DIR as SHOTS,
  closeUi,
  launchChromium,
  openPage as openHostPage,
  screenshot,
  startUiHost,
  writeUiSettings,
  type UiHost,
} from '../support/ui-host.ts';

/**
 * The browser mode end to end, as a user drives it: Debian Chromium against `cosmicai ui` started as a child process
 * with its own data folder. The tests run in order and share the host (the first run's results feed the later ones).
 */

let dataDir: string;
let host: UiHost;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

async function openPage(url: string) {
  ({ context, page } = await openHostPage(browser, url, pageErrors, { acceptDownloads: true, consoleErrors: true }));
}

const shot = (name: string, fullPage = true) => screenshot(page, name, fullPage);

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-'));
  // Small defaults keep the run short and the progress visible for several updates.
  await writeUiSettings(dataDir, 128);
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  await openPage(host.url);
}, 240_000);

afterAll(async () => {
  await closeUi({ context, browser, host });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The body cells of a table on the page, row by row, as the user sees them. */
async function cells(testId: string): Promise<string[][]> {
  const rows = page.getByTestId(testId).locator('tbody tr');
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++)
    out.push((await rows.nth(i).locator('td').allTextContents()).map((s) => s.trim()));
  return out;
}

/**
 * The result tables hold the run's numbers: each shown value is the run record's (read from the History folder on
 * disk), and sums, counts and cores are checked against values known independently of the record.
 */
async function checkResultTables() {
  const ids = await readdir(path.join(dataDir, 'runs'));
  expect(ids).toHaveLength(1);
  const entry = JSON.parse(await readFile(path.join(dataDir, 'runs', ids[0], 'run.json'), 'utf8'));
  const rec = entry.record;
  const parts = rec.partitions as Array<Record<string, any>>;
  expect(parts.length).toBeGreaterThan(0);

  const p = await cells('partitions-table');
  expect(p).toHaveLength(parts.length);
  p.forEach((row, i) => {
    const r = parts[i];
    expect(row).toEqual([
      String(r.partition),
      path.basename(r.data_path),
      r.status,
      String(r.samples),
      String(r.num_batches),
      r['execution_time (seconds/batch)'].toFixed(4),
      r.sample_persec.toFixed(1),
      (r.throughput_bps / 1e6).toFixed(2),
      r['total_cpu_time (seconds)'].toFixed(2),
      r['total_cpu_memory (MB)'].toFixed(1),
      r.load_seconds.toFixed(3),
    ]);
    expect(row[2]).toBe('completed');
    expect(Number(row[4])).toBe(Math.ceil(Number(row[3]) / 128)); // batch size 128 from the settings
  });
  expect(p.reduce((s, row) => s + Number(row[3]), 0)).toBe(2048); // the bundled sample's galaxies

  const lat = await cells('latency-table');
  expect(lat[0]).toEqual(['Whole run', ...['p50', 'p90', 'p99'].map((k) => rec.latency_ms[k].toFixed(2))]);
  expect(lat).toHaveLength(1 + parts.length);
  const [p50, p90, p99] = lat[0].slice(1).map(Number);
  expect(p50).toBeGreaterThan(0);
  expect(p50).toBeLessThanOrEqual(p90);
  expect(p90).toBeLessThanOrEqual(p99);

  const acc = Object.fromEntries((await cells('accuracy-table')).map((r) => [r[0], r[1]]));
  expect(acc['Labelled galaxies']).toBe('2048');
  for (const [label, key] of [
    ['MAE', 'mae'],
    ['MSE', 'mse'],
    ['Outlier fraction', 'outlier_fraction'],
  ]) {
    expect(Math.abs(Number(acc[label]) - rec.accuracy[key]), label).toBeLessThanOrEqual(
      Math.max(5e-5, 5e-4 * rec.accuracy[key]),
    );
  }

  const host = Object.fromEntries((await cells('host-table')).map((r) => [r[0], r[1]]));
  expect(host['Cores (physical / logical)']).toMatch(new RegExp(`^\\d+ / ${os.cpus().length}$`));
  expect(host['Node.js']).toBe(process.versions.node);
}

describe('browser mode', () => {
  it('prints the full URL with a token, and refuses the API without it', async () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/);
    const call = (headers: Record<string, string>) =>
      fetch(`${host.origin}/api/call/system.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    const none = await call({});
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('UNAUTHORIZED');
    expect(
      (await call({ 'x-cosmicai-token': host.token.slice(0, -1) + (host.token.endsWith('A') ? 'B' : 'A') })).status,
    ).toBe(401);
    expect((await fetch(`${host.origin}/api/events`)).status).toBe(401);
    const ok = await call({ 'x-cosmicai-token': host.token });
    expect(ok.status).toBe(200);
    expect((await ok.json()).value.mode).toBe('browser');
  });

  it('runs the local baseline from Home: progress, then results with samples/s and the scatter plot', async () => {
    await page.getByTestId('run-baseline').waitFor();
    await shot('home-empty');
    await page.getByTestId('run-baseline').click();
    const progress = page.getByTestId('run-progress');
    await progress.waitFor({ timeout: 30_000 });
    // Wait for a real progress update (a batch done), then capture the screen while it runs.
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=progress-percent]')?.textContent?.replace('%', '')) > 0,
      null,
      { timeout: 180_000 },
    );
    expect(await page.getByRole('progressbar').isVisible()).toBe(true);
    expect(await page.getByTestId('eta').textContent()).toMatch(/\d+ (s|min)/);
    await shot('local-run-progress');

    await page.getByTestId('results-title').waitFor({ timeout: 360_000 });
    expect(await page.getByTestId('run-status').textContent()).toBe('completed');
    const summary = page.getByTestId('summary-table');
    const spsRow = summary.locator('tr', { hasText: 'Samples per second' });
    const sps = Number((await spsRow.locator('td').nth(1).textContent())!.trim());
    expect(sps).toBeGreaterThan(0);
    expect(await summary.locator('tr', { hasText: 'Galaxies inferred' }).locator('td').nth(1).textContent()).toBe(
      '2048',
    );
    expect(await page.getByTestId('caveats').textContent()).toContain(
      'reference weights — predictions are not physical',
    );
    expect(await page.getByTestId('caveats').textContent()).toContain('synthetic data');
    const canvas = page.getByTestId('scatter').locator('canvas');
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(box!.height).toBeGreaterThan(200);
    await page.getByTestId('partitions-table').waitFor();
    await page.getByTestId('latency-table').waitFor();
    await page.getByTestId('accuracy-table').waitFor();
    await page.getByTestId('host-table').waitFor();
    await checkResultTables();
    await page.waitForTimeout(800); // let the chart animation finish before the screenshot
    await shot('results');
  }, 480_000);

  it('exports the summary table as CSV with the run’s numbers', async () => {
    const summary = page.getByTestId('summary-table');
    await summary.getByLabel('Export format').selectOption('csv');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      summary.getByRole('button', { name: 'Export' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^summary-.*\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split(/\r\n/);
    expect(lines[0]).toBe('Metric,Value,Unit,Study field,Definition');
    const sps = lines.find((l) => l.startsWith('Samples per second,'))!.split(',');
    expect(Number(sps[1])).toBeGreaterThan(0);
    expect(sps.slice(2)).toEqual(['galaxies/s', 'sample_persec', 'samples ÷ wall time']);
    expect(lines).toContain('Galaxies inferred,2048,,samples,');
    expect(lines.find((l) => l.startsWith('Execution time per batch,'))).toMatch(
      /^Execution time per batch,[0-9.]+,s\/batch,execution_time \(seconds\/batch\),wall ÷ ceil\(samples\/batch\)$/,
    );

    // Copy as Markdown puts the same table on the clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.origin });
    await summary.getByLabel('Export format').selectOption('md');
    await summary.getByRole('button', { name: 'Copy' }).click();
    const md = await page.evaluate(() => navigator.clipboard.readText());
    expect(md).toContain('| Metric | Value | Unit | Study field | Definition |');
    expect(md).toContain('| Galaxies inferred | 2048 |');

    // The scatter plot saves as a PNG image.
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('scatter').getByRole('button', { name: 'PNG' }).click(),
    ]);
    expect(png.suggestedFilename()).toMatch(/-scatter\.png$/);
    const bytes = await readFile((await png.path())!);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.length).toBeGreaterThan(5000);

    // The full-screen chart view opens and closes.
    await page.getByTestId('scatter').getByRole('button', { name: 'Full screen' }).click();
    await page.locator('.chart-full canvas').waitFor();
    await shot('chart-full-screen', false);
    await page.keyboard.press('Escape');
    await page.locator('.chart-full').waitFor({ state: 'detached' });
  }, 60_000);

  it('cancels a run and keeps what was computed', async () => {
    await page.goto(`${host.origin}/#/run`);
    await page.locator('input[name=batchSize]').fill('16');
    await page.locator('input[name=name]').fill('to be cancelled');
    await page.getByTestId('start-run').click();
    await page.getByTestId('run-progress').waitFor();
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=progress-percent]')?.textContent?.replace('%', '')) > 0,
      null,
      { timeout: 120_000 },
    );
    await page.getByTestId('cancel-run').click();
    await page.getByTestId('results-title').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('results-title').textContent()).toBe('to be cancelled');
    expect(await page.getByTestId('run-status').textContent()).toBe('cancelled');
    const galaxies = Number(
      await page
        .getByTestId('summary-table')
        .locator('tr', { hasText: 'Galaxies inferred' })
        .locator('td')
        .nth(1)
        .textContent(),
    );
    expect(galaxies).toBeGreaterThan(0);
    expect(galaxies).toBeLessThan(2048);
  }, 240_000);

  it('shows the engine’s message and what to do for a bad model file chosen in the file browser, and stays usable', async () => {
    const bad = path.join(dataDir, 'inputs');
    await mkdir(bad, { recursive: true });
    await writeFile(path.join(bad, 'broken-model.onnx'), 'this is not an ONNX protobuf\n');
    await page.goto(`${host.origin}/#/run`);
    await page.locator('input[name=name]').fill('');
    await page.getByTestId('browse-model').click();
    const fb = page.getByTestId('file-browser');
    // As a user does, wait for the browser's start listing before typing another folder.
    await expect.poll(() => fb.getByRole('button', { name: '↑ Up' }).isEnabled(), { timeout: 30_000 }).toBe(true);
    await fb.getByLabel('Folder').fill(bad);
    await fb.getByRole('button', { name: 'Go' }).click();
    await fb.locator('.file-row[data-name="broken-model.onnx"]').click();
    await shot('file-browser');
    await fb.getByRole('button', { name: 'Choose' }).click();
    expect(await page.locator('input[name=model]').inputValue()).toBe(path.join(bad, 'broken-model.onnx'));
    await page.getByTestId('start-run').click();
    const err = page.getByTestId('error');
    await err.waitFor({ timeout: 60_000 });
    expect(await err.getByTestId('error-message').textContent()).toContain('broken-model.onnx');
    expect(await err.getByTestId('error-hint').textContent()).toMatch(/What to do:.*\.onnx/);
    await shot('error-bad-model');
    // Still usable: the form is there and the other screens open.
    await page.getByTestId('run-form').waitFor();
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'History', level: 1 }).waitFor();
  }, 120_000);

  it('keeps a folder typed into the file browser when the first listing arrives after the typing', async () => {
    const folder = path.join(dataDir, 'late-listing');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'late.onnx'), 'x');
    // The file browser's first listing (its start folder) is held back, as on a busy machine, until the user has
    // typed a folder.
    await page.goto(`${host.origin}/#/run`);
    let release!: () => void;
    let isReleased = false;
    const released = new Promise<void>((r) => (release = () => ((isReleased = true), r())));
    const held: Array<Promise<unknown>> = [];
    await page.route('**/api/call/system.listDir', async (route) => {
      if (isReleased) return route.continue();
      held.push(route.request().response());
      await released;
      await route.continue();
    });
    try {
      await page.getByTestId('browse-model').click();
      const fb = page.getByTestId('file-browser');
      await fb.getByLabel('Folder').fill(folder);
      await expect.poll(() => held.length).toBeGreaterThan(0);
      release();
      await Promise.all(held);
      // The late listing has rendered once the browser knows a parent folder to go up to.
      await expect.poll(() => fb.getByRole('button', { name: '↑ Up' }).isEnabled(), { timeout: 20_000 }).toBe(true);
      expect(await fb.getByLabel('Folder').inputValue()).toBe(folder);
      await fb.getByRole('button', { name: 'Go' }).click();
      await fb.locator('.file-row[data-name="late.onnx"]').waitFor();
    } finally {
      release();
      await page.unroute('**/api/call/system.listDir');
      // Closed even when an assertion failed, so the next tests do not meet an open dialog.
      const fb = page.getByTestId('file-browser');
      if (await fb.isVisible()) await fb.getByRole('button', { name: 'Close' }).click();
    }
  }, 60_000);

  it('shows the engine’s message and what to do for a bad data file', async () => {
    const badPt = path.join(dataDir, 'inputs', 'not-a-tensor.pt');
    await writeFile(badPt, 'plain text, not a torch.save archive\n'.repeat(20));
    await page.goto(`${host.origin}/#/run`);
    await page.locator('input[name=model]').fill('');
    await page.locator('textarea[name=data]').fill(badPt);
    await page.getByTestId('start-run').click();
    const err = page.getByTestId('error');
    await err.waitFor({ timeout: 60_000 });
    expect(await err.getByTestId('error-message').textContent()).toContain('not-a-tensor.pt');
    expect(await err.getByTestId('error-hint').textContent()).toMatch(/What to do:.*\.pt/);
    await shot('error-bad-data');
    // A good small file right after works.
    await page.locator('textarea[name=data]').fill(path.resolve('tests/fixtures/tiny-8.pt'));
    await page.getByTestId('error').getByRole('button', { name: 'Dismiss' }).click();
    await page.getByTestId('start-run').click();
    await page.getByTestId('results-title').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('run-status').textContent()).toBe('completed');
    expect(await page.getByTestId('caveats').textContent()).not.toContain('synthetic data');
  }, 180_000);

  it('keeps History across a restart of the host; rename, compare and delete work', async () => {
    await context.close();
    await host.stop();
    host = await startUiHost(dataDir);
    await openPage(host.url + '#/history');
    const rows = page.getByTestId('history-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    const text = await page.getByTestId('history-table').textContent();
    expect(text).toContain('Local baseline');
    expect(text).toContain('to be cancelled');
    expect(text).toMatch(/completed[\s\S]*cancelled|cancelled[\s\S]*completed/);
    await shot('history');

    // Rename the baseline.
    const baseline = rows.filter({ hasText: 'Local baseline' });
    await baseline.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('New name').fill('Baseline, batch 128');
    await page.getByRole('button', { name: 'Save' }).click();
    await rows.filter({ hasText: 'Baseline, batch 128' }).waitFor();

    // Compare the baseline and the cancelled run.
    await rows.filter({ hasText: 'Baseline, batch 128' }).getByRole('checkbox').check();
    await rows.filter({ hasText: 'to be cancelled' }).getByRole('checkbox').check();
    await page.getByTestId('compare').click();
    const cmp = page.getByTestId('compare-table');
    await cmp.waitFor();
    expect(await cmp.locator('th').allTextContents()).toEqual(
      expect.arrayContaining(['A: Baseline, batch 128', 'B: to be cancelled', 'B ÷ A']),
    );
    expect(await cmp.locator('tr', { hasText: 'Batch size' }).locator('td').allTextContents()).toEqual([
      'Batch size',
      'galaxies',
      '128',
      '16',
      '0.125',
      '—',
    ]);
    await shot('compare');

    // Delete the cancelled run (two clicks: Delete, then Confirm delete).
    await page.goto(`${host.origin}/#/history`);
    const victim = page.getByTestId('history-row').filter({ hasText: 'to be cancelled' });
    await victim.getByRole('button', { name: 'Delete' }).click();
    await victim.getByRole('button', { name: 'Confirm delete' }).click();
    await expect.poll(() => page.getByTestId('history-row').count()).toBe(2);
  }, 240_000);

  it('runs int8 chosen on the run form and labels it int8 in Results, History, Compare and the exported summary', async () => {
    await page.goto(`${host.origin}/#/run`);
    const precision = page.getByTestId('precision');
    expect(await precision.inputValue()).toBe('fp32');
    await precision.selectOption('int8');
    expect(await page.locator('label', { has: precision }).textContent()).toMatch(
      /faster.*\|Δz\| vs fp32.*first use quantizes the model and caches/,
    );
    await page.locator('textarea[name=data]').fill(path.resolve('tests/fixtures/small-64.pt'));
    await page.locator('input[name=batchSize]').fill('16');
    await page.locator('input[name=name]').fill('small int8');
    await shot('local-run-int8-form');
    await page.getByTestId('start-run').click();
    await page.getByTestId('results-title').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('results-title').textContent()).toBe('small int8');
    expect(await page.getByTestId('run-status').textContent()).toBe('completed');
    expect(await page.getByTestId('stat-precision').textContent()).toBe('int8');
    expect(await page.getByTestId('caveats').textContent()).toContain('int8 — quantized model');
    const summary = page.getByTestId('summary-table');
    expect(await summary.locator('tr', { hasText: 'Precision' }).locator('td').allTextContents()).toEqual([
      'Precision',
      'int8',
      '—',
      'model.precision',
      '—',
    ]);
    await summary.getByLabel('Export format').selectOption('csv');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      summary.getByRole('button', { name: 'Export' }).click(),
    ]);
    expect((await readFile((await download.path())!, 'utf8')).split(/\r\n/)).toContain(
      'Precision,int8,,model.precision,',
    );
    await shot('results-int8');

    // History has a precision column; the fp32 baseline and the int8 run are told apart.
    await page.goto(`${host.origin}/#/history`);
    const rows = page.getByTestId('history-row');
    await rows.filter({ hasText: 'small int8' }).waitFor();
    expect(await rows.filter({ hasText: 'small int8' }).getByTestId('history-precision').textContent()).toBe('int8');
    expect(await rows.filter({ hasText: 'Baseline, batch 128' }).getByTestId('history-precision').textContent()).toBe(
      'fp32',
    );

    // Side by side: each side and the table say which precision ran.
    await rows.filter({ hasText: 'Baseline, batch 128' }).getByRole('checkbox').check();
    await rows.filter({ hasText: 'small int8' }).getByRole('checkbox').check();
    await page.getByTestId('compare').click();
    const cmp = page.getByTestId('compare-table');
    await cmp.waitFor();
    expect(await page.getByTestId('compare-precision-A').textContent()).toBe('precision fp32');
    expect(await page.getByTestId('compare-precision-B').textContent()).toBe('precision int8');
    expect(await cmp.locator('tr', { hasText: 'Precision' }).locator('td').allTextContents()).toEqual([
      'Precision',
      '—',
      'fp32',
      'int8',
      '—',
      '—',
    ]);
    await shot('compare-fp32-int8');
  }, 180_000);

  it('switches theme and shows Settings', async () => {
    await page.goto(`${host.origin}/#/settings`);
    expect(await page.getByTestId('data-dir').textContent()).toBe(dataDir);
    await shot('settings');
    await page.getByTestId('theme-toggle').click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const id = (
      await (
        await fetch(`${host.origin}/api/call/history.list`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-cosmicai-token': host.token },
          body: '{}',
        })
      ).json()
    ).value.items.find((i: { name?: string }) => i.name === 'Baseline, batch 128').id;
    await page.goto(`${host.origin}/#/results/${id}`);
    await page.getByTestId('scatter').locator('canvas').waitFor();
    await page.waitForTimeout(800);
    await shot('results-dark');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
