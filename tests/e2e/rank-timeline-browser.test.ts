/**
 * A cloud run's page shows its rank timeline (Debian Chromium against `cosmicai ui`): the run is a real execution on
 * the local servers (s3rver + local Step Functions + our Lambdas, 6 ranks), recorded into History as the app does;
 * the page draws one Gantt bar per rank, the concurrency chart marks the measured peak, and Export SVG saves it.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudRunRecord } from '../../base/cloud-run-record.ts';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { buildRecord, follow, launch, saveToHistory } from '../../cloud/cloud-run.ts';
import { stageForRun } from '../../cloud/cloud-stage.ts';
import { buildPayload } from '../../cloud/payload.ts';
import { HistoryStore } from '../../app/node/history-store.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { writeTinyCodeDir } from '../support/cloud-tiny-model.ts';
import { localAwsStoredProfile } from '../support/local-aws-profile.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
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

let aws: LocalAws;
let clients: AwsClients;
let work: string;
let host: UiHost;
let browser: Browser;
let page: Page;
let record: CloudRunRecord;
let runId: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-timeline-'));
  const dataDir = path.join(work, 'data');
  await mkdir(dataDir, { recursive: true });
  await writeUiSettings(dataDir, 128);
  const cipher = new TestCipher();
  const profile = localAwsStoredProfile(cipher, aws, { lambdaMemoryMb: 2048 });
  clients = makeClients(profile, { cipher, maxAttempts: 4 });
  const staged = await stageForRun(clients, {
    dataDir,
    code: { dir: await writeTinyCodeDir(work) },
    dataset: path.join(FIXTURES_DIR, 'small-64.pt'),
    partitionMb: 0.25,
  });
  const payload = buildPayload(profile, {
    batchSize: 8,
    fileLimit: staged.partitions,
    partitionMb: 0.25,
    s3ObjectName: staged.s3ObjectName,
    objectType: staged.objectType,
    script: staged.script,
  });
  const started = await launch(clients, payload);
  const final = await follow(clients, started.executionArn, { intervalMs: 150, tailLogs: false });
  record = await buildRecord(clients, final, 'pending', { reportWaitMs: 10_000 });
  runId = await saveToHistory(new HistoryStore(dataDir), record, 'timeline run');
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  ({ page } = await openPage(browser, `${host.url}#/results/${runId}`, pageErrors));
}, 300_000);

afterAll(async () => {
  clients?.destroy();
  await closeUi({ browser, host });
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a cloud run's page shows its rank timeline", () => {
  it('one Gantt bar per rank, the phase legend, and the measured peak marked on the concurrency chart', async () => {
    const tl = record.rank_timeline!;
    expect(tl.ranks).toHaveLength(6);
    const card = page.getByTestId('rank-timeline');
    await card.waitFor({ timeout: 60_000 });
    const gantt = page.getByTestId('rank-gantt');
    expect(await gantt.locator('[data-rank-bar]').count()).toBe(record.rank_plan!.length);
    expect(await gantt.locator('[data-rank-bar] rect[data-phase=inference]').count()).toBe(6);
    for (const label of ['Init (cold start)', 'Download/load', 'Inference', 'Other'])
      expect(await gantt.textContent()).toContain(label);
    const peak = page.getByTestId('rank-concurrency').locator('[data-peak]');
    expect(await peak.getAttribute('data-peak')).toBe(String(record.measured_peak_concurrency));
    expect(await page.getByTestId('measured-peak').textContent()).toContain(
      `Measured peak concurrency: ${record.measured_peak_concurrency} of 6 rank(s) running at once`,
    );
    await screenshot(page, 'cloud-rank-timeline');
  }, 120_000);

  it('Export SVG saves the Gantt chart as drawn', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-gantt-svg').click()]);
    expect(download.suggestedFilename()).toBe(`cloud-run-${runId}-rank-timeline.svg`);
    const svg = await readFile((await download.path())!, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/data-rank-bar="/g)).toHaveLength(6);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
