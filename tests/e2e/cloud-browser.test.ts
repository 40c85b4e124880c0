/**
 * The Profiles and Cloud run screens as a user drives them in browser mode (Debian Chromium against `cosmicai ui`),
 * with the cloud being the local servers of this test process (s3rver + local Step Functions + our Lambdas).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyCodeDir } from '../support/cloud-tiny-model.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import {
  SCREENSHOTS_DIR as SHOTS,
  closeUi,
  launchChromium,
  openPage,
  screenshot,
  startUiHost,
  useEnvCredentials,
  writeUiSettings,
  type UiHost,
} from '../support/ui-host.ts';

let aws: LocalAws;
let work: string;
let codeDir: string;
let host: UiHost;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const shot = (name: string) => screenshot(page, name);

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-cloud-'));
  codeDir = await writeTinyCodeDir(work);
  const dataDir = path.join(work, 'data');
  await mkdir(dataDir, { recursive: true });
  await writeUiSettings(dataDir, 128);
  useEnvCredentials(aws.credentials);
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  ({ page } = await openPage(browser, host.url, pageErrors));
}, 240_000);

afterAll(async () => {
  await closeUi({ browser, host });
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('cloud screens in the browser', () => {
  it('adds a profile and tests the connection: four PASS lines', async () => {
    await page.getByRole('link', { name: 'AWS profiles' }).click();
    await page.getByTestId('add-profile').click();
    const form = page.getByTestId('profile-form');
    // Pasted keys are for the desktop app only (no OS keychain here).
    expect(await form.locator('select[name=source] option[value=static]').isDisabled()).toBe(true);
    await form.locator('input[name=name]').fill('local');
    await form.locator('select[name=source]').selectOption('env');
    await form.locator('input[name=bucket]').fill(aws.bucket);
    await form.locator('input[name=stateMachineArn]').fill(aws.stateMachineArn);
    await form.locator('input[name=inferenceLambdaName]').fill(aws.functions.inference);
    await form.locator('input[name=s3]').fill(aws.s3Endpoint);
    await form.locator('input[name=sfn]').fill(aws.sfnEndpoint);
    await form.locator('input[name=sts]').fill(aws.stsEndpoint);
    await form.locator('input[name=logs]').fill(aws.logsEndpoint);
    await form.locator('input[name=lambda]').fill(aws.lambdaEndpoint);
    await page.getByTestId('save-profile').click();
    const card = page.getByTestId('profile-local');
    await card.waitFor();
    await card.getByTestId('test-profile').click();
    const checks = card.getByTestId('connection-checks');
    await checks.waitFor({ timeout: 90_000 });
    expect(await checks.locator('li').count()).toBe(5);
    expect((await checks.textContent())!.match(/PASS/g)).toHaveLength(5);
    await shot('cloud-profiles');
  }, 60_000);

  it('previews and validates the payload, runs, shows the map counts and logs, then opens the results', async () => {
    await page.getByRole('link', { name: 'Cloud run' }).click();
    const form = page.getByTestId('cloud-form');
    await form.locator('textarea[name=data]').fill(path.join(FIXTURES_DIR, 'small-64.pt'));
    await form.locator('input[name=partitionMb]').fill('0.5');
    await form.locator('input[name=batchSize]').fill('16');
    await form.locator('input[name=codeDir]').fill(codeDir);
    await form.locator('input[name=name]').fill('cloud from the browser');
    const json = page.getByTestId('payload-json');
    await page.waitForFunction(
      () => {
        const v = (document.querySelector('[data-testid=payload-json]') as HTMLTextAreaElement | null)?.value ?? '';
        return (
          v.includes('"batch_size": 16') &&
          v.includes('"S3_object_name": "scripts/cosmicai-bench"') &&
          v.includes('"file_limit": 3')
        );
      },
      null,
      { timeout: 90_000 },
    );
    const text = await json.inputValue();
    await shot('cloud-run-form');
    expect(JSON.parse(text)).toMatchObject({
      bucket: aws.bucket,
      batch_size: 16,
      object_type: 'folder',
      S3_object_name: 'scripts/cosmicai-bench',
      data_prefix: 'data/0.5MB/',
    });

    await json.fill(text.replace('"batch_size": 16', '"batch_size": "lots"'));
    await page.getByTestId('payload-issues').waitFor();
    expect(await page.getByTestId('payload-issues').textContent()).toContain('batch_size');
    await page.getByRole('button', { name: 'Reset to the options' }).click();
    await page.getByTestId('payload-issues').waitFor({ state: 'detached' });

    await page.getByTestId('start-cloud-run').click();
    await page.getByTestId('cloud-progress').waitFor();
    await page.waitForFunction(
      () => /arn:aws:states/.test(document.querySelector('[data-testid=execution-arn]')?.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    await shot('cloud-run-progress');
    await page.getByTestId('results-title').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('results-title').textContent()).toBe('cloud from the browser');
    expect(await page.getByTestId('run-status').textContent()).toBe('completed');
    const details = page.getByTestId('cloud-details');
    await details.waitFor();
    expect(await details.textContent()).toMatch(/Ranks with results3 \/ 3/);
    expect(await details.textContent()).toMatch(/Wall throughput \(Mbit\/s\)[\d,.]+/);
    // The top stats are the cloud aggregates; no per-galaxy stats or scatter for a run without predictions.
    const stats = page.getByTestId('cloud-stats');
    expect(await stats.textContent()).not.toContain('Galaxies');
    expect(await page.getByTestId('stat-samples-per-sec').textContent()).toMatch(/^[\d,.]+$/);
    expect(await page.getByTestId('stat-seconds-per-batch').textContent()).toMatch(/^[\d.]+$/);
    expect(await page.getByTestId('stat-cpu-time').textContent()).toMatch(/^[\d,.]+$/);
    expect(await page.getByTestId('stat-batches').textContent()).toMatch(/^\d+ × 16$/);
    expect(await page.getByText('Predicted vs true redshift').count()).toBe(0);
    await shot('cloud-run-results');

    await page.getByRole('link', { name: 'History' }).click();
    await page.getByText('cloud from the browser').first().waitFor();
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it('a rank that throws: the run is recorded as failed, with the rank, its error and the kept results', async () => {
    aws.faults.failRank(1, { name: 'MemoryError', message: 'rank 1 could not allocate its batch' });
    try {
      await page.getByRole('link', { name: 'Cloud run' }).click();
      await page.getByTestId('cloud-form').locator('input[name=name]').fill('cloud with a failing rank');
      await page.getByTestId('start-cloud-run').click();
      await page.getByTestId('results-title').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('results-title').textContent()).toBe('cloud with a failing rank');
      expect(await page.getByTestId('run-status').textContent()).toBe('failed');
      const failed = page.getByTestId('cloud-failed-ranks');
      await failed.waitFor();
      expect(await failed.textContent()).toMatch(
        /rank 1 \(data\/0\.5MB\/2\.pt\): MemoryError rank 1 could not allocate its batch/,
      );
      await shot('cloud-run-failed-rank');
    } finally {
      aws.faults.clearRankFailures();
      await aws.settled();
    }
  }, 240_000);

  it('re-runs the failed rank: the run then says it covers two executions', async () => {
    await page.getByTestId('rerun-failed').click();
    await page.getByRole('link', { name: 'History' }).click();
    const executions = page.getByTestId('cloud-executions');
    for (let i = 0; i < 120 && (await executions.count()) === 0; i++) {
      await page.getByRole('link', { name: 'History' }).click();
      await page.getByText('cloud with a failing rank').first().click();
      await page.getByTestId('results-title').waitFor();
      if ((await executions.count()) === 0) await page.waitForTimeout(500);
    }
    expect(await executions.textContent()).toMatch(/^2 executions \(original \+ re-run of rank 1\)/);
    expect(await page.getByTestId('run-status').textContent()).toBe('completed');
    expect(await page.getByTestId('timeline-executions').textContent()).toMatch(/2 executions/);
    await shot('cloud-run-rerun');
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
