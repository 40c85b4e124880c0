/**
 * An execution that TIMES_OUT leaves a record saying which ranks finished, which did not, and why: our state
 * machine with a short top-level TimeoutSeconds, where rank 1's inference Lambda hangs (a slow function, held
 * inside the invocation) while ranks 0 and 2 finish. The record is built by follow + buildRecord, as the app does.
 * A Stop with the same hung rank is checked the same way.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { buildRecord, follow, launch, runErrorMessage } from '../../cloud/cloud-run.ts';
import { stageForRun, type StageResult } from '../../cloud/cloud-stage.ts';
import { createInference } from '../../cloud/lambda/inference.ts';
import { stopExecution } from '../../cloud/execution.ts';
import { snapshotExecution } from '../../cloud/monitor.ts';
import { buildPayload } from '../../cloud/payload.ts';
import type { StoredProfile } from '../../base/profile-schema.ts';
import { ranksToRerun } from '../../cloud/rerun.ts';
import { stateMachineDefinition } from '../../cloud/state-machine.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { writeTinyCodeDir } from '../support/cloud-tiny-model.ts';
import { lambdaArn } from '../infra/local-lambda.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { localAwsStoredProfile } from '../support/local-aws-profile.ts';

const TIMEOUT_SECONDS = 4;
const SLOW_INFERENCE = 'cosmicai-inference-rank1-hangs';

let aws: LocalAws;
let work: string;
let profile: StoredProfile;
let clients: AwsClients;
let staged: StageResult;
let untimedArn: string;
let releaseRank1!: () => void;
const rank1Held = new Promise<void>((r) => (releaseRank1 = r));
const cipher = new TestCipher();

beforeAll(async () => {
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'reliability-timeout-'));
  const infer = createInference({ s3: aws.s3 });
  aws.lambda.register(SLOW_INFERENCE, async (e) => {
    if ((e as { rank?: unknown } | null)?.rank === 1) await rank1Held;
    return infer(e);
  });
  const definition = stateMachineDefinition({
    initializerArn: lambdaArn(aws.functions.initializer),
    inferenceArn: lambdaArn(SLOW_INFERENCE),
    summarizerArn: lambdaArn(aws.functions.summarizer),
  });
  const sfn = new SFNClient({ region: aws.region, endpoint: aws.sfnEndpoint, credentials: aws.credentials });
  const create = async (name: string, def: Record<string, unknown>) =>
    (
      await sfn.send(
        new CreateStateMachineCommand({
          name,
          definition: JSON.stringify(def),
          roleArn: 'arn:aws:iam::123456789012:role/cosmicai-local-sfn',
        }),
      )
    ).stateMachineArn!;
  const stateMachineArn = await create('cosmicai-timeout', { ...definition, TimeoutSeconds: TIMEOUT_SECONDS });
  untimedArn = await create('cosmicai-untimed', definition);
  sfn.destroy();
  profile = localAwsStoredProfile(cipher, aws, { stateMachineArn, inferenceLambdaName: SLOW_INFERENCE });
  clients = makeClients(profile, { cipher, maxAttempts: 4 });
  // small-64.pt in 0.5 MB partitions → 3 files, one rank each.
  staged = await stageForRun(clients, {
    dataDir: path.join(work, 'data-dir'),
    code: { dir: await writeTinyCodeDir(work) },
    dataset: path.join(FIXTURES_DIR, 'small-64.pt'),
    partitionMb: 0.5,
  });
}, 60_000);

afterAll(async () => {
  releaseRank1();
  clients?.destroy();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('an execution that times out', () => {
  it('is recorded as timed_out with the finished ranks kept and the unfinished rank listed with States.Timeout', async () => {
    expect(staged.partitions).toBe(3);
    const payload = buildPayload(profile, {
      batchSize: 16,
      fileLimit: staged.partitions,
      partitionMb: 0.5,
      s3ObjectName: staged.s3ObjectName,
      objectType: staged.objectType,
      script: staged.script,
    });
    const started = await launch(clients, payload);
    const final = await follow(clients, started.executionArn, { intervalMs: 200, tailLogs: false });
    expect(final.status).toBe('TIMED_OUT');

    const record = await buildRecord(clients, final, 'timeout-run', { reportWaitMs: 0 });
    expect(record.status).toBe('timed_out');
    expect(record.error).toBe('States.Timeout');
    // Ranks 0 and 2 finished before the timeout: their results are in the record.
    expect(record.rank_keys.map((k) => path.posix.basename(k)).sort()).toEqual(['0.json', '2.json']);
    expect(record.rank_results).toHaveLength(2);
    expect(record.ranks).toBe(2);
    // Rank 1 did not: it is listed, with the partition it was given and the reason.
    expect(record.failed_ranks).toEqual([
      expect.objectContaining({ rank: '1', error: 'States.Timeout', cause: expect.stringMatching(/timed out/) }),
    ]);
    expect(record.failed_ranks[0].dataPath).toBeTruthy();
    expect(record.items).toMatchObject({ total: 3, succeeded: 2 });
    expect(runErrorMessage(record)).toMatch(
      /^The execution timed out\. rank 1: States\.Timeout .* 2 rank result\(s\) were kept\.$/,
    );
    // …so the app can re-run just that rank.
    expect(ranksToRerun(record).map((r) => r.rank)).toEqual([1]);
  }, 90_000);

  it('a Stop likewise lists the rank still running, with the Stop error (UserStopped) as the reason', async () => {
    const untimed = makeClients({ ...profile, stateMachineArn: untimedArn }, { cipher });
    try {
      const payload = buildPayload(profile, {
        batchSize: 16,
        fileLimit: staged.partitions,
        partitionMb: 0.5,
        s3ObjectName: staged.s3ObjectName,
        objectType: staged.objectType,
        script: staged.script,
      });
      const started = await launch(untimed, payload);
      let snap = await snapshotExecution(untimed.sfn, started.executionArn);
      for (let i = 0; i < 600 && (snap.items?.succeeded ?? 0) < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        snap = await snapshotExecution(untimed.sfn, started.executionArn);
      }
      expect(snap).toMatchObject({ status: 'RUNNING', items: { succeeded: 2, running: 1 } });
      await stopExecution(untimed.sfn, started.executionArn);
      const record = await buildRecord(
        untimed,
        await follow(untimed, started.executionArn, { intervalMs: 100, tailLogs: false }),
        'stopped-run',
        { reportWaitMs: 0 },
      );
      expect(record.status).toBe('aborted');
      expect(record.rank_results).toHaveLength(2);
      expect(record.failed_ranks).toEqual([
        expect.objectContaining({ rank: '1', error: 'UserStopped', cause: expect.stringMatching(/stopped/) }),
      ]);
      expect(ranksToRerun(record).map((r) => r.rank)).toEqual([1]);
    } finally {
      untimed.destroy();
    }
  }, 90_000);
});
