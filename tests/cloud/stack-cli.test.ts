import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileStore } from '../../cloud/profiles.ts';
import { templateBody } from '../../cloud/stack/template.ts';
import { S3RVER_CREDENTIALS } from '../infra/s3rver.ts';
import { cliAwsEnv, runCli } from '../support/cli.ts';
import {
  deployerProfileInput,
  startLocalCloudFormation,
  type LocalCloudFormation,
} from '../support/local-cloudformation.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let local: LocalCloudFormation;
let dataDir: string;
let zip: string;
let model: string;

const cli = (args: string[]) => runCli(args, cliAwsEnv(dataDir, S3RVER_CREDENTIALS));
/** `stack deploy` of the test stack with the deployer profile, its zip and model, polling fast; then `more`. */
const deployArgs = (...more: string[]) => [
  'stack',
  'deploy',
  '--profile',
  'deployer',
  '--stack-name',
  'cli-stack',
  '--zip',
  zip,
  '--model',
  model,
  ...more,
  '--poll',
  '0.01',
];

beforeAll(async () => {
  local = await startLocalCloudFormation();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-stack-cli-'));
  zip = path.join(dataDir, 'lambda.zip');
  model = path.join(dataDir, 'model.onnx');
  await writeFile(zip, 'zip bytes');
  await writeFile(model, 'model bytes');
  await new ProfileStore(dataDir).add(deployerProfileInput('deployer', { source: 'env' }, local));
});

afterAll(async () => {
  await local?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('cosmicai stack', () => {
  it('template prints the generated template', async () => {
    const r = await cli(['stack', 'template']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(templateBody());
  });

  it('deploy streams events, prints the outputs and saves a profile for the stack; status shows it', async () => {
    const r = await cli(deployArgs('--memory', '1024', '--max-concurrency', '50'));
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/» creating stack 'cli-stack' with its bucket \(phase 1 of 2\)/);
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d {2}CREATE_COMPLETE +InferenceFunction +AWS::Lambda::Function$/m);
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d {2}UPDATE_COMPLETE +cli-stack +AWS::CloudFormation::Stack$/m);
    expect(r.stdout).toMatch(/^stack cli-stack: UPDATE_COMPLETE$/m);
    expect(r.stdout).toMatch(
      /^ {2}StateMachineArn +arn:aws:states:us-east-1:123456789012:stateMachine:cli-stack-cai$/m,
    );
    expect(r.stdout).toMatch(/^saved profile 'cli-stack'$/m);
    const saved = await new ProfileStore(dataDir).get('cli-stack');
    expect(saved).toMatchObject({
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:cli-stack-cai',
      inferenceLambdaName: 'cli-stack-inference',
      lambdaMemoryMb: 1024,
      credentials: { source: 'env' },
      endpoints: { s3: local.s3rver.endpoint, cloudformation: local.cfn.endpoint },
    });
    expect(saved.bucket).toMatch(/^cli-stack-bucket-/);

    const st = await cli(['stack', 'status', '--profile', 'deployer', '--stack-name', 'cli-stack', '--events', '3']);
    expect(st.status).toBe(0);
    expect(st.stdout).toMatch(/^stack cli-stack: UPDATE_COMPLETE$/m);
    expect(st.stdout).toMatch(/^ {2}LambdaMemoryMB +1024$/m);
    expect(st.stdout.split('latest events:\n')[1].trim().split('\n')).toHaveLength(3);
  });

  it('a rolled-back update exits 1 with the failed resource and its reason', async () => {
    local.cfn.failResource('InferenceFunction', {
      on: 'update',
      reason: 'MemorySize value failed to satisfy constraint',
    });
    const r = await cli(deployArgs('--memory', '2048'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/UPDATE_ROLLBACK_COMPLETE +cli-stack/);
    expect(r.stderr).toContain(
      "error: Stack 'cli-stack' could not be updated; it was rolled back to its previous state and still works as before (UPDATE_ROLLBACK_COMPLETE). First failure: InferenceFunction (AWS::Lambda::Function) UPDATE_FAILED: MemorySize value failed to satisfy constraint.",
    );
  });

  it('rejects bad options and unknown stacks with clear messages', async () => {
    const bad = await cli(['stack', 'deploy', '--profile', 'deployer', '--memory', '64']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--memory must be a whole number from 128 to 10240');
    const none = await cli(['stack', 'status', '--profile', 'deployer', '--stack-name', 'nope']);
    expect(none.status).toBe(1);
    expect(none.stdout).toContain("no stack named 'nope' in us-east-1");
  });

  it('delete streams events and names the bucket it kept', async () => {
    const r = await cli(['stack', 'delete', '--profile', 'deployer', '--stack-name', 'cli-stack', '--poll', '0.01']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/DELETE_SKIPPED +Bucket/);
    expect(r.stdout).toMatch(
      /^stack cli-stack deleted\nkept bucket cli-stack-bucket-\S+ .*aws s3 rb s3:\/\/cli-stack-bucket-\S+ --force$/m,
    );
  });

  it('package writes the zip and prints its sizes', async () => {
    const out = path.join(dataDir, 'pkg', 'lambda-arm64.zip');
    const r = await cli(['stack', 'package', '--arch', 'arm64', '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /lambda-arm64\.zip: arm64, \d+ files, [\d.]+ MB unzipped \(limit 250 MB\), [\d.]+ MB zipped, onnxruntime-node 1\.30\.0/,
    );
    expect((await stat(out)).size).toBeGreaterThan(1_000_000);
  });
});
