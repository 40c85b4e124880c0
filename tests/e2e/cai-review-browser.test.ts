/**
 * Issue #16 items 3, 4 and 9 in the browser: the study's CAI pipeline on the emulator (its REAL initializer.py and
 * summarizer.py, the executor stand-in running the study's inference script from a code folder built as the
 * conformance suite does), driven from the Cloud run screen: the emulator's profile saved, the form filled with the
 * code folder and the entry script, Review shows the payload and the rank plan (a warning refused until accepted),
 * then a run to completion. Skips, saying why, without ../shared/cai or python3 torch/boto3.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.ts';
import { CAI_HANDLERS, buildCaiCodeFolder, caiSkipReason, writeCaiPartitions } from '../support/cai-code-folder.ts';
import { CLI } from '../support/cli.ts';
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

const SKIP = caiSkipReason();
if (SKIP) console.log(`cai-review-browser: skipped: ${SKIP}`);

let emu: Emulator;
let work: string;
let codeDir: string;
let partsDir: string;
let host: UiHost;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

describe.skipIf(SKIP !== null)('CAI pipeline from the Cloud run screen', () => {
  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    work = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-review-'));
    const dataDir = path.join(work, 'data');
    codeDir = path.join(work, 'Anomaly Detection');
    partsDir = path.join(work, 'parts');
    await mkdir(dataDir);
    await buildCaiCodeFolder(codeDir);
    await writeCaiPartitions(partsDir);
    emu = await startEmulator({ stack: 'cai', handlersDir: CAI_HANDLERS });
    // The emulator's profile saved as its ready line tells the user to.
    const ready = JSON.stringify({ ready: true, profile: emu.profile, isolation: emu.isolation });
    const imp = spawnSync(process.execPath, [CLI, 'profile', 'import', '-'], {
      input: `${ready}\n`,
      encoding: 'utf8',
      env: { ...process.env, COSMICAI_DATA_DIR: dataDir },
    });
    if (imp.status !== 0) throw new Error(`profile import failed: ${imp.stderr}`);
    await writeUiSettings(dataDir, 8);
    [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
    ({ page } = await openPage(browser, host.url, pageErrors));
  }, 300_000);

  afterAll(async () => {
    await closeUi({ browser, host });
    await emu?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reviews the rank plan, refuses warnings until accepted, then runs to completion', async () => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Cloud run' }).click();
    const form = page.getByTestId('cloud-form');
    await form.locator('select[name=profile]').selectOption(emu.profile.name);
    await form.locator('textarea[name=data]').fill(partsDir);
    await form.locator('input[name=partitionMb]').fill('0.35');
    await form.locator('input[name=batchSize]').fill('8');
    await form.locator('input[name=codeDir]').fill(codeDir);
    await form.locator('input[name=entry]').fill('Inference/inference.py');
    await form.locator('input[name=worldSize]').fill('4');
    await form.locator('input[name=name]').fill('CAI from the browser');

    await page.getByTestId('review-cloud-run').click();
    await page.getByTestId('cloud-review').waitFor({ timeout: 180_000 });
    const payload = JSON.parse((await page.getByTestId('review-payload').textContent())!) as Record<string, unknown>;
    expect(payload).toMatchObject({ batch_size: 8, file_limit: 3, world_size: 4, object_type: 'folder' });
    expect(String(payload.script)).toContain('Inference/inference.py');
    // The editable payload preview names the same script.
    const preview = JSON.parse(await page.getByTestId('payload-json').inputValue()) as Record<string, unknown>;
    expect(preview.script).toBe(payload.script);
    const rows = page.getByTestId('rank-plan').locator('tbody tr');
    expect(await rows.count()).toBe(4);
    expect(await rows.nth(3).textContent()).toContain('no data');
    expect(await page.getByTestId('rank-plan-warnings').textContent()).toMatch(/ranks 3–3 get no data/);
    expect(await page.getByTestId('start-cloud-run').isDisabled()).toBe(true);
    await page.getByTestId('accept-warnings').check();
    expect(await page.getByTestId('start-cloud-run').isDisabled()).toBe(false);
    await screenshot(page, 'cai-review-warnings');

    // One rank per file instead: the review is stale after the change, so review again.
    await page.getByTestId('accept-warnings').uncheck();
    await form.locator('input[name=worldSize]').fill('');
    await page.getByTestId('cloud-review').waitFor({ state: 'detached' });
    await page.getByTestId('review-cloud-run').click();
    await page.getByTestId('cloud-review').waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('rank-plan').locator('tbody tr').count()).toBe(3);
    expect(await page.getByTestId('rank-plan-warnings').count()).toBe(0);

    await page.getByTestId('start-cloud-run').click();
    await page.getByTestId('cloud-progress').waitFor();
    await page.getByTestId('results-title').waitFor({ timeout: 400_000 });
    expect(await page.getByTestId('results-title').textContent()).toContain('CAI from the browser');
    expect(await page.getByTestId('run-status').textContent()).toBe('completed');
    await screenshot(page, 'cai-review-results');
    expect(pageErrors).toEqual([]);
  }, 600_000);
});
