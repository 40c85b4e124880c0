/**
 * What a new user tripped over (#19), checked in the browser (Debian Chromium against `cosmicai ui`): one-click
 * example data labelled as such, Lambda memory for imports, error bars on the charts, honest study status, no
 * empty "Cloud run" card on a failed cloud run, and the main tables fitting 1280-1920 px without sideways scrolling.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../app/node/history-store.ts';
import { createStudy, saveStudy } from '../../study/study-store.ts';
import { FIXTURES, referenceModel } from '../support/engine-run-helpers.ts';
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

const CLI = fileURLToPath(new URL('../../bin/cosmicai.mjs', import.meta.url));
let dataDir: string;
let host: UiHost;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let localRunId = '';
let failedCloudId = '';
let failedStudyId = '';
const shot = (name: string) => screenshot(page, `newuser-${name}`);

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-newuser-'));
  await writeUiSettings(dataDir, 64);
  // A run from the CLI door: it must show in History like an app run.
  const model = await referenceModel();
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'local',
      '--model',
      model,
      '--data',
      path.join(FIXTURES, 'small-64.pt'),
      path.join(FIXTURES, 'tiny-8.pt'),
      '--batch-size',
      '16',
      '--threads',
      '1',
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, COSMICAI_DATA_DIR: dataDir },
      timeout: 240_000,
    },
  );
  expect(r.status, r.stderr).toBe(0);
  localRunId = /saved in History as (\S+)/.exec(r.stderr)![1];
  // A cloud run that failed before any result existed (e.g. the execution could not start).
  const store = new HistoryStore(dataDir);
  const cloud = await store.create({
    kind: 'cloud',
    name: 'Cloud · demo · failed to start',
    params: { profile: 'demo' },
  });
  await store.finish(cloud.id, {
    status: 'failed',
    error: { code: 'CLOUD_ERROR', message: 'The state machine does not exist.' },
  });
  failedCloudId = cloud.id;
  // A study whose only job failed.
  const s = await createStudy(
    dataDir,
    { target: 'local', batchSizes: [8], repeats: 1, localData: [path.join(FIXTURES, 'tiny-8.pt')], localThreads: 1 },
    'All jobs failed',
  );
  s.jobs[0].status = 'failed';
  s.jobs[0].attempts = 1;
  s.jobs[0].error = 'tiny-8.pt: not a readable partition (example failure)';
  await saveStudy(dataDir, s);
  failedStudyId = s.id;
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  ({ context, page } = await openPage(browser, host.url, pageErrors, {
    acceptDownloads: true,
    viewport: { width: 1440, height: 900 },
  }));
}, 400_000);

afterAll(async () => {
  await closeUi({ context, browser, host });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** No sideways scrolling: the page and every table box are no wider than what shows. */
async function noSidewaysScroll(): Promise<Array<{ what: string; scroll: number; client: number }>> {
  return page.evaluate(() => {
    const out: Array<{ what: string; scroll: number; client: number }> = [];
    const root = document.scrollingElement!;
    if (root.scrollWidth > root.clientWidth + 1)
      out.push({ what: 'page', scroll: root.scrollWidth, client: root.clientWidth });
    document.querySelectorAll<HTMLElement>('.table-wrap, .card').forEach((el) => {
      if (el.scrollWidth > el.clientWidth + 1)
        out.push({
          what: `${el.className} ${el.dataset.testid ?? ''}`,
          scroll: el.scrollWidth,
          client: el.clientWidth,
        });
    });
    return out;
  });
}

describe('a new user in the browser', () => {
  it('imports the example data in one click, labelled as example data, with Lambda memory settable', async () => {
    await page.goto(`${host.origin}/#/import`);
    await page.getByTestId('import-example').click();
    await page.getByTestId('import-example-label').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('import-example-label').textContent()).toBe(
      'Example data: made-up numbers, not measurements',
    );
    expect(await page.getByTestId('import-summary').textContent()).toMatch(
      /^26 recorded run\(s\) from .*examples.recorded-results: 26 added to History/,
    );
    const t3 = page.getByTestId('study-table-3');
    await t3.waitFor();
    // Data, Partition, Invocations, Total duration, ± sd, Duration from, Lambda memory, …
    const firstRow = async () =>
      (await t3.locator('tbody tr').first().locator('td').allTextContents()).map((c) => c.trim());
    expect((await firstRow())[5]).toBe('estimated from CPU time'); // example data has no REPORT lines
    const memCol = async () => (await firstRow())[6];
    expect(await memCol()).toBe('10.00');
    await page.getByTestId('import-lambda-memory').fill('2048');
    await expect.poll(memCol, { timeout: 30_000 }).toBe('2.00');
    // The charts draw error bars (± sd over the two repeats), not only tooltips.
    const canvas = page.getByTestId('chart-time-vs-data').locator('canvas');
    await expect
      .poll(async () => Number((await canvas.getAttribute('data-error-bars')) ?? 0), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await page.waitForTimeout(600);
    await shot('example-import');
  }, 120_000);

  it('History lists the CLI run and the example runs; names stay on two lines (three at 1280 px), no sideways scroll', async () => {
    for (const width of [1280, 1440, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${host.origin}/#/history`);
      await page.getByTestId('history-table').waitFor();
      expect(await page.locator(`[data-testid=history-row][data-id="${localRunId}"]`).count()).toBe(1);
      const lines = await page
        .locator('[data-testid=history-row] td:nth-child(2) a')
        .evaluateAll((as) =>
          as.map((a) =>
            Math.round(a.getBoundingClientRect().height / parseFloat(getComputedStyle(a).lineHeight || '20')),
          ),
        );
      // They wrapped onto 4-7 lines at 1440 px: now at most two lines from 1440 px, three at 1280 px.
      expect(Math.max(...lines), `run names wrap at ${width} px`).toBeLessThanOrEqual(width < 1440 ? 3 : 2);
      expect(await noSidewaysScroll(), `at ${width} px`).toEqual([]);
      await shot(`history-${width}`);
    }
  }, 60_000);

  it('the per-partition and imported-runs tables fit 1280 px without sideways scrolling', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${host.origin}/#/results/${encodeURIComponent(localRunId)}`);
    await page.getByTestId('partitions-table').waitFor();
    expect(await noSidewaysScroll()).toEqual([]);
    await shot('partitions-1280');
    await page.goto(`${host.origin}/#/import`);
    await page.getByTestId('import-example').click();
    await page.getByTestId('import-table').waitFor({ timeout: 60_000 });
    expect(await noSidewaysScroll()).toEqual([]);
    await shot('import-1280');
    await page.setViewportSize({ width: 1440, height: 900 });
  }, 120_000);

  it('a failed cloud run shows its error and no empty "Cloud run" card', async () => {
    await page.goto(`${host.origin}/#/results/${encodeURIComponent(failedCloudId)}`);
    await page.getByText('The state machine does not exist.').first().waitFor();
    expect(await page.getByTestId('cloud-details').count()).toBe(0);
    await shot('failed-cloud-run');
  });

  it('a study whose every job failed says "failed" in red with the first error on the card', async () => {
    await page.goto(`${host.origin}/#/study/${encodeURIComponent(failedStudyId)}`);
    const state = page.getByTestId('study-state');
    await state.waitFor();
    expect(await state.textContent()).toBe('failed');
    expect(await state.getAttribute('class')).toContain('failed');
    expect(await page.getByTestId('study-progress').locator('h2').textContent()).toMatch(
      /^0 of 1 job\(s\) succeeded, 1 failed/,
    );
    expect(await page.getByTestId('study-first-error').textContent()).toMatch(
      /^First failure \(.+\): tiny-8\.pt: not a readable partition \(example failure\)$/,
    );
    await shot('failed-study');
    await page.goto(`${host.origin}/#/study`);
    const row = page.getByTestId('study-row').filter({ hasText: 'All jobs failed' });
    expect(await row.getByTestId('study-row-state').textContent()).toBe('failed');
  });
});
