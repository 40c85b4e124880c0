/**
 * cloud/rerun-record.ts against the local CloudWatch Logs endpoint: when a re-run ends, the earlier execution's REPORT
 * lines are read again, because a failed execution is recorded while its other ranks may still run (and be billed).
 * The log lines are written here with chosen times, so which line belongs to which execution is known by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { recordRerun } from '../../cloud/rerun-record.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { cloudRecord } from '../support/cloud-record.ts';
import { localAwsStoredProfile } from '../support/local-aws-profile.ts';

let aws: LocalAws;
let clients: AwsClients;

beforeAll(async () => {
  aws = await startLocalAws();
  const cipher = new TestCipher();
  clients = makeClients(localAwsStoredProfile(cipher, aws), { cipher });
}, 60_000);
afterAll(async () => {
  clients?.destroy();
  await aws?.close();
});

describe('recordRerun', () => {
  it('adds the earlier execution’s late REPORT lines, and tells its failed attempt from the re-run by time', async () => {
    const group = `/aws/lambda/${aws.functions.inference}`;
    const t0 = Date.now() - 300_000;
    const iso = (ms: number) => new Date(t0 + ms).toISOString();
    const invocation = (stream: string, at: number, id: string, rank: number, billed: number, resultPath = 'res') => {
      aws.logs.append(group, stream, `START RequestId: ${id} Version: $LATEST`, t0 + at);
      aws.logs.append(group, stream, `received: {"rank":${rank},"result_path":"${resultPath}"}`, t0 + at + 1);
      aws.logs.append(
        group,
        stream,
        `REPORT RequestId: ${id}\tDuration: ${billed - 0.5} ms\tBilled Duration: ${billed} ms\t` +
          `Memory Size: 2048 MB\tMax Memory Used: ${rank + 100} MB\t`,
        t0 + at + billed,
      );
    };
    // The original (0 → 10 s): rank 0 and the failed attempt of rank 1 in time; rank 2 still ran after the failure.
    invocation('a', 1_000, 'r0', 0, 4000);
    invocation('b', 1_000, 'r1-failed', 1, 1000);
    invocation('c', 1_500, 'r2-late', 2, 25_000);
    // Another run's rank 0, writing elsewhere: not this run's.
    invocation('d', 2_000, 'other', 0, 9999, 'elsewhere');
    // The re-run of rank 1 (60 → 68 s), in the failed attempt's stream (a warm container).
    invocation('b', 61_000, 'r1-rerun', 1, 4500);

    const usage = (rank: number, requestId: string, billed: number) => ({
      rank,
      requestId,
      durationMs: billed - 0.5,
      billedDurationMs: billed,
      memorySizeMb: 2048,
      maxMemoryUsedMb: rank + 100,
    });
    // As recorded when the original failed: rank 2's line was not there yet.
    const previous = cloudRecord({
      status: 'failed',
      started: iso(0),
      finished: iso(10_000),
      failed_ranks: [
        {
          rank: '1',
          index: 1,
          dataPath: 'd/2.pt',
          error: 'E',
          cause: '',
          event: 'MapIterationFailed',
          timestamp: null,
        },
      ],
      lambda: {
        invocations: 2,
        billedDurationMs: 5000,
        durationMs: 4999,
        maxMemoryUsedMb: 101,
        coldStarts: 0,
        initDurationMs: 0,
      },
      lambda_per_rank: [usage(0, 'r0', 4000), usage(1, 'r1-failed', 1000)],
      lambda_missing_ranks: [2],
      rank_plan: [0, 1, 2].map((rank) => ({ rank, dataPath: `d/${rank + 1}.pt` })),
    });
    const rerun = cloudRecord({
      started: iso(60_000),
      finished: iso(68_000),
      executionArn: 'arn:aws:states:us-east-1:1:execution:sm:second',
      executionName: 'second',
      rank_keys: ['res/0.json', 'res/1.json', 'res/2.json'],
      lambda: {
        invocations: 1,
        billedDurationMs: 4500,
        durationMs: 4499.5,
        maxMemoryUsedMb: 101,
        coldStarts: 0,
        initDurationMs: 0,
      },
      lambda_per_rank: [usage(1, 'r1-rerun', 4500)],
      lambda_missing_ranks: [],
      rank_plan: [{ rank: 1, dataPath: 'd/2.pt' }],
    });

    const merged = await recordRerun(clients, previous, rerun);
    // The original: r0 + r1-failed + r2-late = 4000 + 1000 + 25000 (not r1-rerun, which is after the re-run began).
    expect(merged.executions?.[0].lambda).toMatchObject({ invocations: 3, billedDurationMs: 30_000 });
    expect(merged.executions?.[0].lambda_missing_ranks).toEqual([]);
    // The run: 3 + 1 invocations, 30000 + 4500 ms.
    expect(merged.lambda).toMatchObject({ invocations: 4, billedDurationMs: 34_500, maxMemoryUsedMb: 102 });
    expect(merged.lambda_per_rank?.map((x) => [x.rank, x.requestId, x.execution])).toEqual([
      [0, 'r0', 0],
      [1, 'r1-rerun', 1],
      [2, 'r2-late', 0],
    ]);
    expect(merged.lambda_missing_ranks).toEqual([]);
  });
});
