/**
 * A Lambda memory sweep through the app's study service (the queue behind the Study screen) on the emulator:
 * cancelling in the middle puts the function's memory back before the study reports "cancelled", and the
 * progress says which memory was being set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudyProgressEvent } from '../../app/common/contract/index.ts';
import type { NodeServices } from '../../app/node/services/index.ts';
import { readFunctionMemory } from '../../cloud/lambda-memory.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { localAwsProfileInput, startAppApi, type AppApi } from '../support/app-services.ts';

let aws: LocalAws;
let lambda: LambdaClient;
let work: string;
let services: NodeServices;
let call: AppApi['call'];
const progress: StudyProgressEvent[] = [];

beforeAll(async () => {
  aws = await startLocalAws({ memoryMb: 3008 });
  aws.lambda.updateDelayMs = 200;
  lambda = new LambdaClient({ region: aws.region, endpoint: aws.lambdaEndpoint, credentials: aws.credentials });
  work = await mkdtemp(path.join(os.tmpdir(), 'app-study-memory-'));
  ({ services, call } = startAppApi({
    dataDir: path.join(work, 'data'),
    mode: 'browser',
    cipher: new TestCipher(),
    cloudPollMs: 100,
  }));
  services.hub.listen(
    (channel, payload) => channel === 'study.progress' && progress.push(payload as StudyProgressEvent),
  );
  await call('cloud.addProfile', localAwsProfileInput(aws));
}, 120_000);

afterAll(async () => {
  await services?.shutdown();
  lambda?.destroy();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const until = (pred: (p: StudyProgressEvent) => boolean, ms = 120_000) =>
  new Promise<StudyProgressEvent>((resolve, reject) => {
    const started = Date.now();
    const t = setInterval(() => {
      const e = progress.find(pred);
      if (e || Date.now() - started > ms) {
        clearInterval(t);
        if (e) resolve(e);
        else reject(new Error(`no such progress event; saw: ${progress.map((p) => p.message).join(' | ')}`));
      }
    }, 50);
  });

describe('a memory sweep through the study service', () => {
  it('Cancel in the middle restores the function before the study reports cancelled', async () => {
    const release = aws.faults.holdInvocations();
    const { id } = await call('study.create', {
      name: 'memory sweep',
      params: {
        target: 'cloud',
        sweeps: ['batch-size'],
        batchSizes: [8],
        repeats: 1,
        batchSweepDataGb: 'all',
        batchSweepPartitionMb: 0.25,
        localData: [path.join(FIXTURES_DIR, 'tiny-8.pt')],
        lambdaMemoriesMb: [1024, 2048],
      },
    });
    await until((p) => p.studyId === id && p.message.includes('execution started'));
    expect((await readFunctionMemory(lambda, aws.functions.inference)).memoryMb).toBe(1024);
    const { study } = await call('study.get', { id });
    expect(study.jobs.map((j: { lambdaMemoryMb: number }) => j.lambdaMemoryMb)).toEqual([1024, 2048]);
    await call('study.cancel', { id });
    const cancelled = await until((p) => p.studyId === id && p.event === 'cancelled');
    release();
    const mine = progress.filter((p) => p.studyId === id).map((p) => p.message);
    const setting = mine.findIndex((m) => /setting cosmicai-inference to 1024 MB/.test(m));
    const restored = mine.findIndex((m) => /restored to its original 3008 MB|back at its original 3008 MB/.test(m));
    expect(setting).toBeGreaterThan(-1);
    expect(restored).toBeGreaterThan(setting);
    expect(restored).toBeLessThan(mine.indexOf(cancelled.message));
    expect((await readFunctionMemory(lambda, aws.functions.inference)).memoryMb).toBe(3008);
  }, 300_000);
});
