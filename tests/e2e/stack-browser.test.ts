/**
 * "Deploy CAI stack" as a user drives it in browser mode (Debian Chromium against `cosmicai ui`), with the local
 * CloudFormation endpoint (tests/infra/cfn-local.ts) and s3rver of this test process: deploy (real packaging) →
 * events → profile made from the outputs; a resource that fails → the rollback's cause shown; status; delete.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../support/cloud-tiny-model.ts';
import { S3RVER_CREDENTIALS } from '../infra/s3rver.ts';
import { startLocalCloudFormation, type LocalCloudFormation } from '../support/local-cloudformation.ts';
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

const EXISTING = 'astro-existing';
let local: LocalCloudFormation;
let work: string;
let modelFile: string;
let host: UiHost;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const shot = (name: string) => screenshot(page, name);

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  local = await startLocalCloudFormation({ buckets: [EXISTING] });
  work = await mkdtemp(path.join(os.tmpdir(), 'cai-e2e-stack-'));
  modelFile = await writeTinyModel(path.join(work, 'tiny.onnx'));
  const dataDir = path.join(work, 'data');
  await mkdir(dataDir, { recursive: true });
  await writeUiSettings(dataDir, 128);
  useEnvCredentials(S3RVER_CREDENTIALS);
  [host, browser] = await Promise.all([startUiHost(dataDir), launchChromium()]);
  ({ page } = await openPage(browser, host.url, pageErrors));
}, 240_000);

afterAll(async () => {
  await closeUi({ browser, host });
  await local?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function openDeployPanel() {
  await page.getByTestId('open-deploy-stack').click();
  await page.getByTestId('stack-panel').waitFor();
  return page.getByTestId('stack-form');
}

describe('Deploy CAI stack in the browser', () => {
  it('deploys: packaging size, live events, then a profile made from the outputs', async () => {
    await page.getByRole('link', { name: 'AWS profiles' }).click();
    // Without a profile there are no credentials to deploy with.
    expect(await page.getByTestId('open-deploy-stack').isDisabled()).toBe(true);
    await page.getByTestId('add-profile').click();
    const form = page.getByTestId('profile-form');
    await form.locator('input[name=name]').fill('deployer');
    await form.locator('select[name=source]').selectOption('env');
    await form.locator('input[name=bucket]').fill('unused-bucket');
    await form.locator('input[name=stateMachineArn]').fill('arn:aws:states:us-east-1:123456789012:stateMachine:none');
    await form.locator('input[name=inferenceLambdaName]').fill('none');
    await form.locator('input[name=s3]').fill(local.s3rver.endpoint);
    await form.locator('input[name=cloudformation]').fill(local.cfn.endpoint);
    await page.getByTestId('save-profile').click();
    await page.getByTestId('profile-deployer').waitFor();
    // A hand-made profile has no stack actions.
    expect(await page.getByTestId('profile-deployer').getByTestId('stack-actions').count()).toBe(0);

    const deploy = await openDeployPanel();
    await deploy.locator('input[name=stackName]').fill('cai-e2e');
    await deploy.locator('select[name=arch]').selectOption('arm64');
    await deploy.locator('input[name=memoryMb]').fill('2048');
    await deploy.locator('input[name=maxConcurrency]').fill('50');
    await deploy.locator('input[name=modelFile]').fill(modelFile);
    const cost = await page.getByTestId('stack-cost').textContent();
    // 100 × 60 s × 2 GB = 12,000 GB-s at the arm64 price.
    expect(cost).toMatch(/Idle, the stack costs ≈ nothing/);
    expect(cost).toMatch(/12,000 GB-s ≈ \$0\.16 of Lambda compute/);
    await page.getByTestId('package-stack').click();
    await page.getByTestId('package-report').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('package-report').textContent()).toMatch(
      /^arm64: [\d.]+ MB unzipped of Lambda's 250\.0 MB limit, [\d.]+ MB zipped, \d+ files$/,
    );
    await shot('stack-deploy-form');

    await page.getByTestId('deploy-stack').click();
    await page.getByTestId('stack-events').waitFor({ timeout: 120_000 });
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=stack-events]')?.textContent ?? '').includes('Bucket'),
      null,
      { timeout: 60_000 },
    );
    await shot('stack-deploy-events');
    await page.getByTestId('stack-result').waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('stack-op-status').textContent()).toBe('completed');
    expect(await page.getByTestId('stack-status-line').textContent()).toContain('final status UPDATE_COMPLETE');
    expect(await page.getByTestId('stack-package').textContent()).toMatch(
      /Lambda zip: [\d.]+ MB unzipped of Lambda's 250\.0 MB limit, [\d.]+ MB zipped, \d+ files, onnxruntime-node/,
    );
    const events = (await page.getByTestId('stack-events').textContent())!;
    for (const r of ['Bucket', 'InferenceRole', 'InferenceFunction', 'StateMachine']) expect(events).toContain(r);
    expect(await page.getByTestId('stack-events').locator('tbody tr').count()).toBeGreaterThan(20);
    const outputs = (await page.getByTestId('stack-outputs').first().textContent())!;
    expect(outputs).toContain('arn:aws:states:us-east-1:123456789012:stateMachine:cai-e2e-cai');
    expect(outputs).toContain('cai-e2e-inference');
    expect(outputs).toMatch(/LambdaMemoryMB2048/);
    expect(outputs).toMatch(/Architecturearm64/);

    // The new profile is listed, named after the stack, with the deployer's endpoints and the stack's resources.
    const card = page.getByTestId('profile-cai-e2e');
    await card.waitFor();
    expect(await card.textContent()).toMatch(/environment variables · us-east-1 · s3:\/\/cai-e2e-bucket-[a-z0-9]+\//);
    expect(await card.textContent()).toMatch(/Lambda cai-e2e-inference, 2048 MB arm64/);
    expect(await card.getByTestId('stack-actions').count()).toBe(1);
    await shot('stack-deploy-done');

    // The model and the zip are in the stack's bucket.
    const bucket = /BucketName(cai-e2e-bucket-[a-z0-9]+)/.exec(outputs)![1];
    await local.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'scripts/tiny.onnx' }));

    // "Use this profile" opens the Cloud run screen with it chosen.
    await page.getByTestId('use-stack-profile').click();
    await page.getByTestId('cloud-form').waitFor();
    // The profile list loads asynchronously; the choice must survive it.
    await expect
      .poll(() => page.getByTestId('cloud-form').locator('select[name=profile] option').count(), { timeout: 30_000 })
      .toBe(2);
    expect(await page.getByTestId('cloud-form').locator('select[name=profile]').inputValue()).toBe('cai-e2e');
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('a resource that fails: the rollback is shown with the failed resource and its reason', async () => {
    await page.getByRole('link', { name: 'AWS profiles' }).click();
    local.cfn.failResource('InferenceRole', {
      on: 'create',
      reason: 'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateRole',
    });
    const deploy = await openDeployPanel();
    await deploy.locator('select[name=profile]').selectOption('deployer');
    await deploy.locator('input[name=stackName]').fill('cai-bad');
    await deploy.locator('select[name=bucketMode]').selectOption('existing');
    await deploy.locator('input[name=existingBucket]').fill(EXISTING);
    await deploy.locator('input[name=modelFile]').fill(modelFile);
    await page.getByTestId('deploy-stack').click();
    // Leaving the screen while it packages and coming back: the operation is still followed and shown again.
    await page.getByTestId('stack-progress').waitFor();
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('link', { name: 'AWS profiles' }).click();
    await page.getByTestId('stack-panel').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('stack-resumed').textContent()).toContain(
      'The deploy of stack cai-bad with profile deployer',
    );
    await page.getByTestId('stack-failure').waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('stack-op-status').textContent()).toBe('failed');
    const message = (await page.getByTestId('stack-failure').getByTestId('error-message').textContent())!;
    expect(message).toContain("Stack 'cai-bad' could not be created and was rolled back (ROLLBACK_COMPLETE)");
    expect(message).toContain('First failure: InferenceRole (AWS::IAM::Role) CREATE_FAILED');
    expect(await page.getByTestId('stack-failed-resource').textContent()).toBe(
      'Failed resource: InferenceRole (AWS::IAM::Role) CREATE_FAILED: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateRole',
    );
    expect(await page.getByTestId('stack-events').textContent()).toContain('ROLLBACK_COMPLETE');
    await shot('stack-deploy-rollback');
    // No profile is made for a stack that failed.
    expect(await page.getByTestId('profile-cai-bad').count()).toBe(0);
    await page.getByTestId('stack-panel').getByRole('button', { name: 'Close' }).click();
  }, 240_000);

  it('status, then delete after confirming: events, and the bucket it created is named as kept', async () => {
    const card = page.getByTestId('profile-cai-e2e');
    await card.getByTestId('stack-status').click();
    const report = card.getByTestId('stack-status-report');
    await report.waitFor({ timeout: 60_000 });
    expect(await report.textContent()).toContain('UPDATE_COMPLETE');
    expect(await report.getByTestId('stack-outputs').textContent()).toContain('cai-e2e-inference');
    await shot('stack-status');

    await card.getByTestId('stack-delete').click();
    const dialog = page.getByTestId('stack-delete-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Delete stack cai-e2e?');
    await shot('stack-delete-confirm');
    // Cancel leaves the stack alone.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(local.cfn.stackNames()).toContain('cai-e2e');

    await card.getByTestId('stack-delete').click();
    await page.getByTestId('confirm-stack-delete').click();
    await card.getByTestId('stack-deleted').waitFor({ timeout: 120_000 });
    expect(await card.getByTestId('stack-deleted').textContent()).toMatch(
      /Stack cai-e2e deleted\. The bucket cai-e2e-bucket-[a-z0-9]+ was kept/,
    );
    expect(await card.getByTestId('stack-events').textContent()).toContain('DELETE_COMPLETE');
    await shot('stack-deleted');

    await card.getByTestId('stack-status').click();
    await card.getByTestId('stack-status-report').waitFor();
    await page.waitForFunction(
      () =>
        (
          document.querySelector('[data-testid=profile-cai-e2e] [data-testid=stack-status-report]')?.textContent ?? ''
        ).includes('No stack named'),
      null,
      { timeout: 30_000 },
    );

    await card.getByRole('button', { name: 'Remove this profile' }).click();
    await card.waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
