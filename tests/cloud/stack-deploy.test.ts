import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HeadBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { ProfileInputSchema } from '../../base/profile-schema.ts';
import { packageAndDeploy, stackProfileInput } from '../../cloud/stack/deploy-flow.ts';
import { outputsToProfile } from '../../cloud/stack/outputs.ts';
import {
  deleteStack,
  deployStack,
  stackStatus,
  type DeployOptions,
  type StackProgress,
} from '../../cloud/stack/stack-deploy.ts';
import {
  failureMessage,
  firstFailure,
  StackOperationError,
  type StackEventLine,
} from '../../cloud/stack/stack-events.ts';
import { localProfile, TestCipher } from '../support/cloud-helpers.ts';
import { startCfnLocal, type CfnLocal } from '../infra/cfn-local.ts';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '../infra/s3rver.ts';

let s3rver: S3rverHandle;
let cfn: CfnLocal;
let clients: AwsClients;
let tmp: string;
let zipFile: string;
let modelFile: string;
const EXISTING = 'astro-existing';

beforeAll(async () => {
  s3rver = await startS3rver({ buckets: [EXISTING] });
  const cipher = new TestCipher();
  const profile = localProfile(cipher, { s3: s3rver.endpoint });
  const s3Only = makeClients(profile, { cipher });
  cfn = await startCfnLocal({ s3: s3Only.s3, accessKeyId: S3RVER_CREDENTIALS.accessKeyId });
  s3Only.destroy();
  clients = makeClients(localProfile(cipher, { s3: s3rver.endpoint, cloudformation: cfn.endpoint }), {
    cipher,
    maxAttempts: 2,
  });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-stack-'));
  zipFile = path.join(tmp, 'lambda.zip');
  modelFile = path.join(tmp, 'model.onnx');
  await writeFile(zipFile, 'PK-not-really-a-zip: CloudFormation only needs the object to exist');
  await writeFile(modelFile, 'onnx-bytes');
});

afterAll(async () => {
  clients?.destroy();
  await cfn?.close();
  await s3rver?.close();
  await rm(tmp, { recursive: true, force: true });
});

function recorder() {
  const events: StackEventLine[] = [];
  const phases: string[] = [];
  const onProgress = (p: StackProgress) => {
    if (p.kind === 'event') events.push(p.event);
    if (p.kind === 'phase') phases.push(p.phase);
  };
  return { events, phases, onProgress };
}

const base = (over: Partial<DeployOptions> = {}): DeployOptions => ({
  stackName: 'cai-own',
  arch: 'x86_64',
  zipFile,
  modelFile,
  pollMs: 1,
  ...over,
});
const statuses = (events: StackEventLine[], logicalId: string) =>
  events.filter((e) => e.logicalId === logicalId).map((e) => e.status);

describe('deploy / status / delete against a local CloudFormation endpoint', () => {
  it('creates the bucket first, uploads code and model into it, then creates the rest, streaming each event once', async () => {
    const rec = recorder();
    const res = await deployStack(clients, base({ memoryMb: 2048, onProgress: rec.onProgress }));
    expect(res).toMatchObject({ stackName: 'cai-own', operation: 'create', status: 'UPDATE_COMPLETE' });
    expect(rec.phases).toEqual(['bucket', 'upload', 'stack']);
    // Phase one: only the bucket; phase two: everything else, with the Lambdas after their log groups and roles.
    expect(statuses(rec.events, 'cai-own')).toEqual([
      'CREATE_IN_PROGRESS',
      'CREATE_COMPLETE',
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_COMPLETE',
    ]);
    expect(statuses(rec.events, 'Bucket')).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(statuses(rec.events, 'InferenceFunction')).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    const at = (l: string, s: string) => rec.events.findIndex((e) => e.logicalId === l && e.status === s);
    expect(at('InferenceLogGroup', 'CREATE_COMPLETE')).toBeLessThan(at('InferenceFunction', 'CREATE_IN_PROGRESS'));
    expect(at('InferenceFunction', 'CREATE_COMPLETE')).toBeLessThan(at('StateMachine', 'CREATE_IN_PROGRESS'));
    // Every event once (the server pages 5 at a time, newest first), oldest first.
    expect(new Set(rec.events.map((e) => e.eventId)).size).toBe(rec.events.length);
    expect(rec.events.length).toBe(2 + 2 + 3 + 12 * 2 - 2);
    const times = rec.events.map((e) => e.timestamp);
    expect([...times].sort()).toEqual(times);

    // The bucket is real (in s3rver), and the zip and model are in it where the template and the stage expect them.
    expect(res.bucket).toBe(res.outputs.BucketName);
    await clients.s3.send(new HeadBucketCommand({ Bucket: res.bucket }));
    expect(res.codeKey).toMatch(/^stack\/cosmicai-lambda-x86_64-[0-9a-f]{12}\.zip$/);
    await clients.s3.send(new HeadObjectCommand({ Bucket: res.bucket, Key: res.codeKey }));
    expect(res.modelKey).toBe('scripts/model.onnx');
    await clients.s3.send(new HeadObjectCommand({ Bucket: res.bucket, Key: 'scripts/model.onnx' }));

    // The outputs make a new profile.
    const profile = outputsToProfile(res.outputs, {
      name: 'cai-own',
      credentials: { source: 'env' },
      endpoints: { s3: s3rver.endpoint },
    });
    expect(ProfileInputSchema.parse(profile)).toMatchObject({
      bucket: res.bucket,
      region: 'us-east-1',
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:cai-own-cai',
      inferenceLambdaName: 'cai-own-inference',
      lambdaMemoryMb: 2048,
      architecture: 'x86_64',
    });
  });

  it('redeploys: nothing to do when unchanged, only the changed function when the memory changes', async () => {
    const same = await deployStack(clients, base({ memoryMb: 2048 }));
    expect(same.operation).toBe('none');
    const rec = recorder();
    const res = await deployStack(clients, base({ memoryMb: 4096, onProgress: rec.onProgress }));
    expect(res.operation).toBe('update');
    expect(res.outputs.LambdaMemoryMB).toBe('4096');
    expect(rec.phases).toEqual(['upload', 'stack']);
    const touched = [...new Set(rec.events.filter((e) => e.logicalId !== 'cai-own').map((e) => e.logicalId))];
    expect(touched).toEqual(['InferenceFunction']);
    expect(statuses(rec.events, 'InferenceFunction')).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']);
  });

  it('reports status with outputs, parameters and the latest events', async () => {
    const st = await stackStatus(clients, 'cai-own', 4);
    expect(st).toMatchObject({
      exists: true,
      status: 'UPDATE_COMPLETE',
      parameters: { InferenceMemoryMB: '4096', Architecture: 'x86_64' },
    });
    expect(st.outputs.StateMachineArn).toContain(':stateMachine:cai-own-cai');
    expect(st.recentEvents).toHaveLength(4);
    expect(st.recentEvents.at(-1)).toMatchObject({ logicalId: 'cai-own', status: 'UPDATE_COMPLETE' });
    expect(await stackStatus(clients, 'no-such-stack')).toMatchObject({ exists: false, outputs: {} });
  });

  it('a failed update is rolled back, and the error names the resource and its reason', async () => {
    cfn.failResource('InferenceFunction', {
      on: 'update',
      reason:
        'Resource handler returned message: "Specified ConcurrentExecutions for function decreases account\'s UnreservedConcurrentExecution below its minimum value"',
    });
    const rec = recorder();
    const err = await deployStack(clients, base({ memoryMb: 8192, onProgress: rec.onProgress })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StackOperationError);
    expect((err as StackOperationError).status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect((err as Error).message).toMatch(
      /^Stack 'cai-own' could not be updated; it was rolled back to its previous state and still works as before \(UPDATE_ROLLBACK_COMPLETE\)\. First failure: InferenceFunction \(AWS::Lambda::Function\) UPDATE_FAILED: Resource handler returned message: "Specified ConcurrentExecutions/,
    );
    expect(statuses(rec.events, 'cai-own')).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_ROLLBACK_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE',
    ]);
    expect((await stackStatus(clients, 'cai-own')).parameters.InferenceMemoryMB).toBe('4096');
  });

  it('a failed create with an existing bucket rolls back with the first failure, and must be deleted before a new deploy', async () => {
    cfn.failResource('InferenceRole', {
      on: 'create',
      reason:
        'Resource handler returned message: "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateRole"',
    });
    const rec = recorder();
    const opts = base({ stackName: 'cai-existing', existingBucket: EXISTING, onProgress: rec.onProgress });
    const err = (await deployStack(clients, opts).catch((e: unknown) => e)) as StackOperationError;
    expect(err).toBeInstanceOf(StackOperationError);
    expect(err.status).toBe('ROLLBACK_COMPLETE');
    expect(err.failedResource).toMatchObject({
      logicalId: 'InferenceRole',
      resourceType: 'AWS::IAM::Role',
      status: 'CREATE_FAILED',
    });
    expect(err.message).toContain(
      'Stack \'cai-existing\' could not be created and was rolled back (ROLLBACK_COMPLETE). First failure: InferenceRole (AWS::IAM::Role) CREATE_FAILED: Resource handler returned message: "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateRole"',
    );
    expect(err.message).toContain('cosmicai stack delete --stack-name cai-existing');
    // One phase: the code went to the existing bucket before CreateStack; resources created before the failure were removed.
    expect(rec.phases).toEqual(['upload', 'stack']);
    expect(statuses(rec.events, 'cai-existing')).toEqual([
      'CREATE_IN_PROGRESS',
      'ROLLBACK_IN_PROGRESS',
      'ROLLBACK_COMPLETE',
    ]);
    expect(statuses(rec.events, 'InitializerLogGroup')).toEqual([
      'CREATE_IN_PROGRESS',
      'CREATE_COMPLETE',
      'DELETE_IN_PROGRESS',
      'DELETE_COMPLETE',
    ]);
    expect(rec.events.some((e) => e.logicalId === 'Bucket')).toBe(false);

    await expect(deployStack(clients, opts)).rejects.toThrow(
      /failed to create earlier \(ROLLBACK_COMPLETE\) and cannot be updated: delete it \(cosmicai stack delete --stack-name cai-existing\)/,
    );
    await deleteStack(clients, 'cai-existing', { pollMs: 1 });
    const again = await deployStack(clients, opts);
    expect(again).toMatchObject({ operation: 'create', status: 'CREATE_COMPLETE', bucket: EXISTING });
    expect(again.outputs.BucketName).toBe(EXISTING);
    await clients.s3.send(new HeadObjectCommand({ Bucket: EXISTING, Key: again.codeKey }));
  });

  it('refuses bad names and bucket switches with clear messages', async () => {
    await expect(deployStack(clients, base({ stackName: '1-bad_name' }))).rejects.toThrow(
      /stack name '1-bad_name' is not usable/,
    );
    await expect(deployStack(clients, base({ stackName: 'x'.repeat(51) }))).rejects.toThrow(/1–50 letters/);
    await expect(deployStack(clients, base({ existingBucket: EXISTING }))).rejects.toThrow(
      /created its own bucket .* Deploy a new stack with --bucket instead/,
    );
    await expect(deleteStack(clients, 'never-made', { pollMs: 1 })).rejects.toThrow(/no stack named 'never-made'/);
  });

  it('deletes, streaming events, keeping the bucket it created (results live there) and reporting it', async () => {
    const rec = recorder();
    const res = await deleteStack(clients, 'cai-own', { pollMs: 1, onProgress: rec.onProgress });
    expect(res.retainedBucket).toMatch(/^cai-own-bucket-/);
    expect(statuses(rec.events, 'Bucket')).toEqual(['DELETE_SKIPPED']);
    expect(statuses(rec.events, 'StateMachine')).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    expect(rec.events.at(-1)).toMatchObject({ logicalId: 'cai-own', status: 'DELETE_COMPLETE' });
    await clients.s3.send(new HeadBucketCommand({ Bucket: res.retainedBucket! }));
    expect((await stackStatus(clients, 'cai-own')).exists).toBe(false);
    // A stack on an existing bucket keeps no bucket of its own.
    expect((await deleteStack(clients, 'cai-existing', { pollMs: 1 })).retainedBucket).toBeUndefined();
  });

  it('a failed delete names the resource that could not be deleted', async () => {
    await deployStack(clients, base({ stackName: 'cai-stuck', existingBucket: EXISTING }));
    cfn.failResource('StateMachineRole', {
      on: 'delete',
      reason: 'Cannot delete entity, must detach all policies first. (Service: Iam, Status Code: 409)',
    });
    await expect(deleteStack(clients, 'cai-stuck', { pollMs: 1 })).rejects.toThrow(
      "Stack 'cai-stuck' could not be deleted (DELETE_FAILED). First failure: StateMachineRole (AWS::IAM::Role) DELETE_FAILED: Cannot delete entity, must detach all policies first. (Service: Iam, Status Code: 409). Fix the cause",
    );
  });

  it('picks the cause over resources cancelled because of it', () => {
    const ev = (logicalId: string, status: string, reason?: string): StackEventLine => ({
      eventId: logicalId + status,
      timestamp: '2026-01-01T00:00:00.000Z',
      logicalId,
      resourceType: 'AWS::Lambda::Function',
      status,
      ...(reason ? { reason } : {}),
    });
    const events = [
      ev('s', 'CREATE_IN_PROGRESS'),
      ev('A', 'CREATE_FAILED', 'Resource creation cancelled'),
      ev('B', 'CREATE_FAILED', 'Memory size exceeds the account limit'),
      ev('s', 'ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to create: [A, B].'),
    ];
    expect(firstFailure(events, 's')?.logicalId).toBe('B');
    expect(failureMessage('s', 'ROLLBACK_COMPLETE', events)).toContain(
      'First failure: B (AWS::Lambda::Function) CREATE_FAILED: Memory size exceeds the account limit.',
    );
    expect(failureMessage('s', 'ROLLBACK_COMPLETE', [])).toContain('no failed resource was reported');
  });

  it('packageAndDeploy packages the real zip, deploys it, and its outputs make the profile', async () => {
    const packaged: string[] = [];
    const res = await packageAndDeploy(clients, {
      dataDir: tmp,
      stackName: 'cai-flow',
      arch: 'arm64',
      existingBucket: EXISTING,
      modelFile,
      pollMs: 1,
      onProgress: (p) => {
        if (p.kind === 'package') packaged.push(p.step);
      },
    });
    expect(packaged).toEqual(['native', 'bundle', 'zip', 'write']);
    expect(res.package?.file).toBe(path.join(tmp, 'stack', 'cosmicai-lambda-arm64.zip'));
    expect(res.codeKey).toBe(`stack/cosmicai-lambda-arm64-${res.package!.sha256.slice(0, 12)}.zip`);
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: EXISTING, Key: res.codeKey }));
    expect(head.ContentLength).toBe(res.package!.zippedBytes);
    expect(res).toMatchObject({
      status: 'CREATE_COMPLETE',
      outputs: { Architecture: 'arm64', InferenceFunctionName: 'cai-flow-inference' },
    });

    const deployer = clients.profile;
    // The test profile holds pasted (encrypted) keys: they cannot be copied without being given again.
    expect(() => stackProfileInput(res, deployer, 'cai-flow')).toThrow(/holds pasted keys, which are stored encrypted/);
    const input = stackProfileInput(res, { ...deployer, credentials: { source: 'sso', profile: 'lab' } }, 'cai-flow');
    expect(ProfileInputSchema.parse(input)).toMatchObject({
      name: 'cai-flow',
      credentials: { source: 'sso', profile: 'lab' },
      bucket: EXISTING,
      architecture: 'arm64',
      endpoints: deployer.endpoints,
    });
    await deleteStack(clients, 'cai-flow', { pollMs: 1 });
  });
});
