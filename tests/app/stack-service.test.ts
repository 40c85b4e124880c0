/**
 * The stack part of the app API, through the real dispatcher and Node services, against the local CloudFormation
 * endpoint and s3rver: deploy with a profile holding pasted keys (the new profile gets them again, encrypted),
 * events on stack.progress, one operation per stack, Cancel that stops following but not the stack, delete.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackFinished, StackProgressView } from '../../app/common/contract/index.ts';
import type { NodeServices } from '../../app/node/services/index.ts';
import { ProfileStore } from '../../cloud/profiles.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { S3RVER_CREDENTIALS } from '../infra/s3rver.ts';
import { startAppApi, type AppApi } from '../support/app-services.ts';
import {
  deployerProfileInput,
  startLocalCloudFormation,
  type LocalCloudFormation,
} from '../support/local-cloudformation.ts';

let local: LocalCloudFormation;
let work: string;
let services: NodeServices;
let cipher: TestCipher;
let zipFile: string;
let modelFile: string;
let call: AppApi['call'];
let events: AppApi['events'];
let finished: (opId: string) => Promise<StackFinished>;

beforeAll(async () => {
  local = await startLocalCloudFormation();
  work = await mkdtemp(path.join(os.tmpdir(), 'app-stack-'));
  zipFile = path.join(work, 'lambda.zip');
  modelFile = path.join(work, 'model.onnx');
  await writeFile(zipFile, 'zip bytes: CloudFormation only needs the object to exist');
  await writeFile(modelFile, 'model bytes');
  cipher = new TestCipher();
  const api = startAppApi({ dataDir: path.join(work, 'data'), mode: 'browser', cipher });
  ({ services, call, events } = api);
  finished = (opId) => api.nextEvent<StackFinished>('stack.finished', 'opId', opId);
  await call(
    'cloud.addProfile',
    deployerProfileInput(
      'keys',
      {
        source: 'static',
        accessKeyId: S3RVER_CREDENTIALS.accessKeyId,
        secretAccessKey: S3RVER_CREDENTIALS.secretAccessKey,
      },
      local,
    ),
  );
});

afterAll(async () => {
  await services?.shutdown();
  await local?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const progressOf = (opId: string): StackProgressView[] =>
  events.filter((e) => e.channel === 'stack.progress' && e.payload.opId === opId).map((e) => e.payload);

describe('stack API', () => {
  it('deploys with pasted keys: events on the channel, the outputs become a profile holding the same keys, encrypted', async () => {
    const { opId } = await call('stack.deploy', {
      profile: 'keys',
      stackName: 'cai-app',
      arch: 'arm64',
      memoryMb: 1024,
      zipFile,
      modelFile,
      pollSeconds: 0.05,
    });
    const f = await finished(opId);
    expect(f).toMatchObject({
      status: 'completed',
      operation: 'deploy',
      stackName: 'cai-app',
      stackStatus: 'UPDATE_COMPLETE',
      stackOperation: 'create',
      profileAction: 'created',
    });
    expect(f.profile).toMatchObject({
      name: 'cai-app',
      inferenceLambdaName: 'cai-app-inference',
      lambdaMemoryMb: 1024,
      architecture: 'arm64',
      credentials: { source: 'static', accessKeyIdHint: 'RVER' },
    });
    expect(f.profile!.endpoints).toEqual({ s3: local.s3rver.endpoint, cloudformation: local.cfn.endpoint });
    const stored = await new ProfileStore(path.join(work, 'data'), cipher).getStored('cai-app');
    expect(stored.credentials.source).toBe('static');
    expect(JSON.stringify(stored)).not.toContain(S3RVER_CREDENTIALS.secretAccessKey + '"');

    const progress = progressOf(opId);
    expect(progress.filter((p) => p.kind === 'phase').map((p) => p.message)).toEqual([
      "creating stack 'cai-app' with its bucket (phase 1 of 2)",
      expect.stringMatching(/^uploading the Lambda code to s3:\/\/cai-app-bucket-/),
      "updating stack 'cai-app'",
    ]);
    const ids = progress.filter((p) => p.kind === 'event').map((p) => p.event!.eventId);
    expect(ids.length).toBeGreaterThan(20);
    expect(new Set(ids).size).toBe(ids.length);
    expect(progress.some((p) => p.kind === 'upload' && p.upload?.key === 'scripts/model.onnx')).toBe(true);

    // The new profile reaches the stack too: its status, outputs and latest events.
    const st = await call('stack.status', { profile: 'cai-app', stackName: 'cai-app', events: 3 });
    expect(st).toMatchObject({
      exists: true,
      status: 'UPDATE_COMPLETE',
      parameters: { Architecture: 'arm64', InferenceMemoryMB: '1024' },
    });
    expect(st.recentEvents).toHaveLength(3);
    expect(await call('stack.status', { profile: 'keys', stackName: 'nothing-here' })).toMatchObject({ exists: false });
  });

  it('redeploying unchanged refreshes the profile and reports "none"', async () => {
    const { opId } = await call('stack.deploy', {
      profile: 'keys',
      stackName: 'cai-app',
      arch: 'arm64',
      memoryMb: 1024,
      zipFile,
      modelFile,
      pollSeconds: 0.05,
    });
    expect(await finished(opId)).toMatchObject({
      status: 'completed',
      stackOperation: 'none',
      profileAction: 'updated',
    });
  });

  it('one operation per stack; Cancel stops following while CloudFormation carries on', async () => {
    // A slow poll: the first events arrive, then the service waits, and Cancel ends the wait.
    const { opId } = await call('stack.deploy', {
      profile: 'keys',
      stackName: 'cai-cancel',
      zipFile,
      modelFile,
      pollSeconds: 30,
    });
    await expect(
      call('stack.deploy', { profile: 'keys', stackName: 'cai-cancel', zipFile, pollSeconds: 30 }),
    ).rejects.toMatchObject({ code: 'BUSY' });
    expect((await call('stack.active')).ops).toEqual([
      expect.objectContaining({ opId, operation: 'deploy', stackName: 'cai-cancel', profile: 'keys' }),
    ]);
    // Cancelled while CloudFormation creates the resources (phase 2), as a user would while watching the events.
    const updating = () =>
      progressOf(opId).some(
        (p) => p.kind === 'event' && p.event!.logicalId === 'cai-cancel' && p.event!.status === 'UPDATE_IN_PROGRESS',
      );
    for (let i = 0; i < 200 && !updating(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(updating()).toBe(true);
    await call('stack.cancel', { opId });
    const f = await finished(opId);
    expect(f.status).toBe('cancelled');
    expect(f.error?.message).toMatch(/Stopped following stack 'cai-cancel'; the operation continues in CloudFormation/);
    expect((await call('stack.active')).ops).toEqual([]);
    // The stack itself was not stopped: its first phase runs to the end.
    const inProgress = (await call('stack.status', { profile: 'keys', stackName: 'cai-cancel' })).status;
    expect(inProgress).toMatch(/_IN_PROGRESS$/);
    let status = inProgress;
    for (let i = 0; i < 50 && status.endsWith('_IN_PROGRESS'); i++)
      status = (await call('stack.status', { profile: 'keys', stackName: 'cai-cancel' })).status;
    expect(status).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
    await expect(call('stack.cancel', { opId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a bad stack name is refused before anything starts; delete keeps the bucket it created', async () => {
    await expect(call('stack.deploy', { profile: 'keys', stackName: '9-bad', arch: 'x86_64' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/stack name '9-bad' is not usable/),
    });
    await expect(call('stack.delete', { profile: 'keys', stackName: 'a_b' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(call('stack.deploy', { profile: 'nobody', stackName: 'cai-x' })).rejects.toThrow(/nobody/);
    expect((await call('stack.active')).ops).toEqual([]);
    const { opId } = await call('stack.delete', { profile: 'keys', stackName: 'cai-app', pollSeconds: 0.05 });
    const f = await finished(opId);
    expect(f).toMatchObject({
      status: 'completed',
      operation: 'delete',
      retainedBucket: expect.stringMatching(/^cai-app-bucket-/),
    });
    expect(progressOf(opId).some((p) => p.kind === 'event' && p.event!.status === 'DELETE_COMPLETE')).toBe(true);
    expect(await call('stack.status', { profile: 'keys', stackName: 'cai-app' })).toMatchObject({ exists: false });
  });
});
