/**
 * A Lambda memory sweep from the Study screen in browser mode (Debian Chromium against `cosmicai ui`) on the
 * emulator's stack: three sizes, the estimate per size, progress that says which memory is being set, and the
 * function left at the memory it had.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFunctionMemory } from '../../cloud/lambda-memory.ts';
import { ProfileStore } from '../../cloud/profiles.ts';
import type { StudyState } from '../../study/study-store.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { localAwsEndpoints } from '../support/local-aws-profile.ts';
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
let lambda: LambdaClient;
let work: string;
let dataDir: string;
let host: UiHost;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  aws = await startLocalAws({ memoryMb: 3008 });
  aws.lambda.updateDelayMs = 300;
  lambda = new LambdaClient({ region: aws.region, endpoint: aws.lambdaEndpoint, credentials: aws.credentials });
  work = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-memory-'));
  dataDir = path.join(work, 'data');
  await mkdir(dataDir, { recursive: true });
  await writeUiSettings(dataDir, 128);
  await new ProfileStore(dataDir).add({
    name: 'local',
    credentials: { source: 'env' },
    region: aws.region,
    bucket: aws.bucket,
    stateMachineArn: aws.stateMachineArn,
    inferenceLambdaName: aws.functions.inference,
    endpoints: localAwsEndpoints(aws),
  });
  useEnvCredentials(aws.credentials);
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  ({ page } = await openPage(browser, host.url, pageErrors));
}, 240_000);

afterAll(async () => {
  await closeUi({ browser, host });
  lambda?.destroy();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a Lambda memory sweep in the browser', () => {
  it('runs three sizes from the Study form and leaves the function as it found it', async () => {
    await page.goto(`${host.origin}/#/study`);
    const form = page.getByTestId('new-study');
    await form.waitFor();
    await page.getByTestId('study-target').selectOption('cloud');
    await form.getByLabel('data size (cloud)').uncheck();
    await page.getByTestId('study-batch-sizes').fill('8');
    await page.getByTestId('study-repeats').fill('1');
    await page.getByTestId('study-data').fill(path.resolve('tests/fixtures/tiny-8.pt'));
    await page.getByTestId('study-memory-sweep').fill('1024, 64');
    await expect
      .poll(() => page.getByTestId('study-form-error').textContent())
      .toContain('"64" is not a Lambda memory size');
    expect(await page.getByTestId('study-start').isDisabled()).toBe(true);
    await page.getByTestId('study-memory-sweep').fill('1024, 2048, 1536');
    await expect
      .poll(() => page.getByTestId('study-estimate').textContent(), { timeout: 10_000 })
      .toMatch(
        /3 job\(s\): 0 local, 3 cloud\. This memory sweep runs 3 cloud job\(s\) at 3 memory size\(s\) \(1024, 2048, 1536 MB\)/,
      );
    const estimateRows = await page.getByTestId('estimate-table').locator('tbody tr td:first-child').allTextContents();
    expect(estimateRows.map((s) => s.trim())).toEqual([
      'Lambda memory 1024 MB: 1 job(s)',
      'Lambda memory 2048 MB: 1 job(s)',
      'Lambda memory 1536 MB: 1 job(s)',
      'Total',
    ]);
    await screenshot(page, 'study-memory-estimate');
    await page.getByTestId('study-start').click();
    await page.getByTestId('study-title').waitFor();

    await expect
      .poll(() => page.getByTestId('study-state').textContent(), { timeout: 400_000, interval: 500 })
      .toBe('finished');
    // The activity keeps every step the progress line showed for a moment: each memory change, then the restore.
    const activity = page.getByTestId('study-activity');
    await activity.locator('summary').click();
    const lines = (await activity.locator('li').allTextContents()).map((l) => l.replace(/^\S+ /, ''));
    const memoryLines = lines.filter((l) => /cosmicai-inference/.test(l));
    const settings = memoryLines.map((l) => /\/m(\d+)\/r1: setting cosmicai-inference to (\d+) MB…$/.exec(l));
    expect(settings.filter((m) => m).map((m) => [Number(m![1]), Number(m![2])])).toEqual([
      [1024, 1024],
      [2048, 2048],
      [1536, 1536],
    ]);
    expect(memoryLines.at(-1)).toBe('cosmicai-inference restored to its original 3008 MB');
    expect(lines.at(-1)).toMatch(/^3 done, 0 failed/);
    // Three sizes are three configurations, not three repeats of one: the findings name the picks instead.
    const findings = (await page.getByTestId('study-findings').textContent()) ?? '';
    expect(findings).toMatch(/Lambda memory: cheapest at \d+ MB .* balanced \(w = 0\.5\) \d+ MB\./);
    expect(findings).not.toMatch(/Repeats of one configuration differ/);
    await screenshot(page, 'study-memory-finished');

    expect((await readFunctionMemory(lambda, aws.functions.inference)).memoryMb).toBe(3008);
    const [id] = await readdir(path.join(dataDir, 'studies'));
    const state = JSON.parse(await readFile(path.join(dataDir, 'studies', id, 'study.json'), 'utf8')) as StudyState;
    expect(state.jobs.map((j) => [j.status, j.lambdaMemoryMb, j.result?.lambdaMemoryMb])).toEqual([
      ['done', 1024, 1024],
      ['done', 2048, 2048],
      ['done', 1536, 1536],
    ]);
    const reported = aws.logs
      .messages(aws.inferenceLogGroup)
      .filter((m) => m.startsWith('REPORT'))
      .map((m) => Number(/Memory Size: (\d+) MB/.exec(m)?.[1]));
    expect(reported).toEqual([1024, 2048, 1536]);
    expect(pageErrors).toEqual([]);
  }, 600_000);
});
