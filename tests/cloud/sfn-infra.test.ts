import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { RANK_RESULT_KEYS } from '../../cloud/rank-result.ts';
import { referenceModel } from '../support/engine-run-helpers.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { FIXTURES_DIR, stageCaiFixtures } from '../infra/stage-fixtures.ts';
import type { CaiPayloadInput } from '../../cloud/payload-schema.ts';

let aws: LocalAws;
let sfn: SFNClient;
let okPayload: CaiPayloadInput;
let corruptPayload: CaiPayloadInput;
let tmp: string;

const REPORT =
  /^REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB\t(?:Init Duration: ([\d.]+) ms\t)?\n$/;

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 45_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const finished = (executionArn: string) =>
  until<DescribeExecutionCommandOutput>(
    () => sfn.send(new DescribeExecutionCommand({ executionArn })),
    (d) => d.status !== 'RUNNING',
    'the execution to end',
  );

async function historyOf(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 20, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const s3Text = async (key: string) =>
  (await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }))).Body!.transformToString();
const s3Keys = async (prefix: string) =>
  ((await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: prefix }))).Contents ?? [])
    .map((o) => o.Key!)
    .sort();

beforeAll(async () => {
  aws = await startLocalAws();
  sfn = new SFNClient({ region: aws.region, endpoint: aws.sfnEndpoint, credentials: aws.credentials });
  const modelPath = await referenceModel();
  okPayload = await stageCaiFixtures(aws.s3, {
    bucket: aws.bucket,
    modelPath,
    partitions: { '1.pt': 'tiny-8.pt', '2.pt': 'tiny-8.legacy.pt', '10.pt': 'tiny-8.pt' },
  });
  // The same data with 2.pt cut short: rank 1 fails in the .pt reader.
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-sfn-'));
  writeFileSync(path.join(tmp, 'truncated.pt'), readFileSync(path.join(FIXTURES_DIR, 'tiny-8.pt')).subarray(0, 40_000));
  corruptPayload = await stageCaiFixtures(aws.s3, {
    bucket: aws.bucket,
    modelPath,
    dataPrefix: 'corrupt/',
    partitions: { '1.pt': 'tiny-8.pt', '2.pt': path.join(tmp, 'truncated.pt'), '3.pt': 'tiny-8.pt' },
  });
});

afterAll(async () => {
  sfn?.destroy();
  await aws?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('a full execution through @aws-sdk/client-sfn', () => {
  it('runs Initialize → Distributed Map → Summarize and leaves per-rank results and combined_data.json in S3', async () => {
    const payload = { ...okPayload, result_path: 'results/full-run' };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: aws.stateMachineArn,
        name: 'full-run',
        input: JSON.stringify(payload),
      }),
    );
    const d = await finished(executionArn!);
    expect(d.status).toBe('SUCCEEDED');
    expect(JSON.parse(d.output!)).toMatchObject({
      combined_key: 'results/full-run/combined_data.json',
      ranks: [0, 1, 2],
      missing: [],
      malformed: [],
    });

    expect(await s3Keys('results/full-run/')).toEqual([
      'results/full-run/0.json',
      'results/full-run/1.json',
      'results/full-run/2.json',
      'results/full-run/combined_data.json',
    ]);
    const combined = JSON.parse(await s3Text('results/full-run/combined_data.json')) as Array<Record<string, unknown>>;
    expect(combined.map((r) => r.data_path)).toEqual(['data/1.pt', 'data/2.pt', 'data/10.pt']);
    for (const r of combined) {
      expect(Object.keys(r)).toEqual([...RANK_RESULT_KEYS]);
      expect(r).toMatchObject({ num_batches: 2, batch_size: 4, device: 'cpu', result_path: 'results/full-run' });
    }

    const runs = await sfn.send(new ListMapRunsCommand({ executionArn }));
    expect(runs.mapRuns).toHaveLength(1);
    const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn: runs.mapRuns![0].mapRunArn }));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.itemCounts).toMatchObject({ pending: 0, running: 0, succeeded: 3, failed: 0, aborted: 0, total: 3 });
    const children = await sfn.send(new ListExecutionsCommand({ mapRunArn: run.mapRunArn }));
    expect(children.executions?.map((c) => c.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);

    const events = await historyOf(executionArn!);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(3);
    expect(types.filter((t) => t === 'TaskSucceeded')).toHaveLength(5); // Initialize, 3 ranks, Summarize
    const mapEntered = events.find((e) => e.type === 'MapStateEntered')!;
    const mapExited = events.find((e) => e.type === 'MapStateExited')!;
    expect(mapExited.timestamp!.getTime()).toBeGreaterThanOrEqual(mapEntered.timestamp!.getTime());
    expect(events.find((e) => e.type === 'MapRunStarted')?.mapRunStartedEventDetails?.mapRunArn).toBe(run.mapRunArn);
    // Every event links to an earlier one.
    for (const e of events.slice(1)) expect(e.previousEventId! < e.id!).toBe(true);
  });

  it('writes START/END/REPORT lines for each inference invocation to /aws/lambda/<name>, served by FilterLogEvents', async () => {
    const logs = new CloudWatchLogsClient({
      region: aws.region,
      endpoint: aws.logsEndpoint,
      credentials: aws.credentials,
    });
    try {
      const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }));
      expect(groups.logGroups?.map((g) => g.logGroupName)).toContain(aws.inferenceLogGroup);
      const reports = await logs.send(
        new FilterLogEventsCommand({ logGroupName: aws.inferenceLogGroup, filterPattern: 'REPORT' }),
      );
      expect(reports.events).toHaveLength(3);
      const parsed = reports.events!.map((e) => REPORT.exec(e.message!));
      expect(parsed.every((m) => m !== null)).toBe(true);
      for (const m of parsed) {
        expect(Number(m![3])).toBe(Math.ceil(Number(m![2])));
        expect(Number(m![4])).toBe(3008);
        expect(Number(m![5])).toBeGreaterThan(0);
      }
      // One cold start (the session), shared by the ranks that ran beside it.
      expect(parsed.filter((m) => m![6] !== undefined)).toHaveLength(1);
      const all = await logs.send(new FilterLogEventsCommand({ logGroupName: aws.inferenceLogGroup, limit: 4 }));
      expect(all.events).toHaveLength(4);
      expect(all.nextToken).toBeDefined();
      expect(all.events![0].message).toMatch(/^START RequestId: \S+ Version: \$LATEST\n$/);
    } finally {
      logs.destroy();
    }
  });

  it('refuses a second execution with a used name', async () => {
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: aws.stateMachineArn,
          name: 'full-run',
          input: JSON.stringify(okPayload),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
  });
});

describe('failures', () => {
  it('a rank that throws fails the execution; its error is in the history; the other ranks keep their results', async () => {
    const payload = { ...corruptPayload, result_path: 'results/corrupt-run' };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: aws.stateMachineArn,
        name: 'corrupt-run',
        input: JSON.stringify(payload),
      }),
    );
    const d = await finished(executionArn!);
    expect(d.status).toBe('FAILED');
    expect(d.error).toBe('PtFormatError');

    const events = await historyOf(executionArn!);
    const failed = events.filter((e) => e.type === 'TaskFailed');
    expect(failed).toHaveLength(1);
    const details = failed[0].taskFailedEventDetails!;
    expect(details.error).toBe('PtFormatError');
    const cause = JSON.parse(details.cause!) as { errorType: string; errorMessage: string };
    expect(cause.errorType).toBe('PtFormatError');
    expect(cause.errorMessage).toContain('2.pt');
    // The failed task leads back (previousEventId) to its rank's TaskStateEntered and MapIterationStarted.
    const byId = new Map(events.map((e) => [e.id!, e]));
    let cur: HistoryEvent | undefined = failed[0];
    let rank: number | undefined;
    let index: number | undefined;
    while (cur && (rank === undefined || index === undefined)) {
      if (cur.type === 'TaskStateEntered')
        rank ??= (JSON.parse(cur.stateEnteredEventDetails!.input!) as { rank: number }).rank;
      if (cur.type === 'MapIterationStarted') index ??= cur.mapIterationStartedEventDetails!.index;
      cur = byId.get(cur.previousEventId!);
    }
    expect(rank).toBe(1);
    expect(index).toBe(1);
    expect(events.find((e) => e.type === 'MapIterationFailed')?.mapIterationFailedEventDetails?.index).toBe(1);
    expect(events.at(-1)?.type).toBe('ExecutionFailed');

    const runs = await sfn.send(new ListMapRunsCommand({ executionArn }));
    const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn: runs.mapRuns![0].mapRunArn }));
    expect(run.status).toBe('FAILED');
    expect(run.itemCounts?.failed).toBe(1);
    const failedChildren = await sfn.send(
      new ListExecutionsCommand({ mapRunArn: run.mapRunArn, statusFilter: 'FAILED' }),
    );
    expect(failedChildren.executions).toHaveLength(1);
    const child = await sfn.send(
      new DescribeExecutionCommand({ executionArn: failedChildren.executions![0].executionArn }),
    );
    expect(child).toMatchObject({ status: 'FAILED', error: 'PtFormatError', mapRunArn: run.mapRunArn });
    expect(JSON.parse(child.input!)).toMatchObject({ rank: 1, files: ['corrupt/2.pt'] });
    const childEvents = await historyOf(child.executionArn!);
    expect(childEvents.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'ExecutionFailed',
    ]);
    expect(childEvents[4].taskFailedEventDetails).toEqual(details);

    // Lambdas already running finish, as on AWS: ranks 0 and 2 leave their results; no summary was made.
    await aws.settled();
    expect(await s3Keys('results/corrupt-run/')).toEqual(['results/corrupt-run/0.json', 'results/corrupt-run/2.json']);
    expect(
      aws.logs
        .messages(aws.inferenceLogGroup)
        .some((m) => m.includes('\tERROR\tInvoke Error \t{"errorType":"PtFormatError"')),
    ).toBe(true);
  });

  it('an injected Lambda crash (faults.failRank) surfaces with its error type', async () => {
    aws.faults.failRank(2, { name: 'Sandbox.Timedout', message: 'Task timed out after 900.00 seconds' });
    try {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: aws.stateMachineArn,
          input: JSON.stringify({ ...okPayload, result_path: 'results/crash' }),
        }),
      );
      const d = await finished(executionArn!);
      expect(d).toMatchObject({ status: 'FAILED', error: 'Sandbox.Timedout' });
      expect(JSON.parse(d.cause!)).toMatchObject({
        errorType: 'Sandbox.Timedout',
        errorMessage: 'Task timed out after 900.00 seconds',
      });
    } finally {
      aws.faults.clearRankFailures();
      await aws.settled();
    }
  });

  it('StopExecution mid-run aborts the execution and its map run', async () => {
    const release = aws.faults.holdInvocations();
    try {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: aws.stateMachineArn,
          name: 'stopped',
          input: JSON.stringify({ ...okPayload, result_path: 'results/stopped' }),
        }),
      );
      const runs = await until(
        () => sfn.send(new ListMapRunsCommand({ executionArn })),
        (r) => (r.mapRuns?.length ?? 0) > 0,
        'the map run',
      );
      const mapRunArn = runs.mapRuns![0].mapRunArn;
      const running = await until(
        () => sfn.send(new DescribeMapRunCommand({ mapRunArn })),
        (r) => r.itemCounts?.running === 3,
        'three running ranks',
      );
      expect(running.status).toBe('RUNNING');
      await sfn.send(new StopExecutionCommand({ executionArn, error: 'UserStopped', cause: 'stopped from the test' }));
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(d.status).toBe('ABORTED');
      expect(d.stopDate).toBeInstanceOf(Date);
      const events = await historyOf(executionArn!);
      expect(events.at(-1)).toMatchObject({
        type: 'ExecutionAborted',
        executionAbortedEventDetails: { error: 'UserStopped', cause: 'stopped from the test' },
      });
      const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
      expect(run.status).toBe('ABORTED');
      expect(run.itemCounts).toMatchObject({ running: 0, aborted: 3, succeeded: 0 });
    } finally {
      release();
      await aws.settled();
    }
    // Nothing ran after the stop: no summary.
    expect(await s3Keys('results/stopped/combined_data.json')).toEqual([]);
  });

  it('answers the AWS errors for unknown resources and bad input', async () => {
    const missing = aws.stateMachineArn.replace(/:[^:]+$/, ':nope');
    await expect(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: missing }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(
      sfn.send(
        new DescribeExecutionCommand({
          executionArn: aws.stateMachineArn.replace('stateMachine', 'execution') + ':nope',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: aws.stateMachineArn, input: '{not json' })),
    ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    const logs = new CloudWatchLogsClient({
      region: aws.region,
      endpoint: aws.logsEndpoint,
      credentials: aws.credentials,
    });
    await expect(logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    logs.destroy();
  });
});

describe('faults a real service produces', () => {
  it('throttling: the SDK retries with backoff and succeeds; past its attempts it reports ThrottlingException', async () => {
    const before = aws.faults.throttled('sfn');
    aws.faults.throttleNext(2, 'sfn');
    const d = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: aws.stateMachineArn }));
    expect(d.status).toBe('ACTIVE');
    expect(d.$metadata.attempts).toBe(3);
    expect(aws.faults.throttled('sfn') - before).toBe(2);

    const twoTries = new SFNClient({
      region: aws.region,
      endpoint: aws.sfnEndpoint,
      credentials: aws.credentials,
      maxAttempts: 2,
    });
    aws.faults.throttleNext(2, 'sfn');
    await expect(
      twoTries.send(new DescribeStateMachineCommand({ stateMachineArn: aws.stateMachineArn })),
    ).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    twoTries.destroy();
  });

  it('credential errors: each service answers with its own AWS error', async () => {
    const sts = new STSClient({ region: aws.region, endpoint: aws.stsEndpoint, credentials: aws.credentials });
    const logs = new CloudWatchLogsClient({
      region: aws.region,
      endpoint: aws.logsEndpoint,
      credentials: aws.credentials,
    });
    const calls = {
      sts: () => sts.send(new GetCallerIdentityCommand({})),
      sfn: () => sfn.send(new DescribeStateMachineCommand({ stateMachineArn: aws.stateMachineArn })),
      logs: () => logs.send(new DescribeLogGroupsCommand({})),
    };
    try {
      expect(await calls.sts()).toMatchObject({ Account: '123456789012', Arn: expect.stringContaining(':user/') });
      const expected = {
        expired: { sts: 'ExpiredToken', sfn: 'ExpiredTokenException', logs: 'ExpiredTokenException' },
        'access-denied': { sts: 'AccessDenied', sfn: 'AccessDeniedException', logs: 'AccessDeniedException' },
        invalid: {
          sts: 'InvalidClientTokenId',
          sfn: 'UnrecognizedClientException',
          logs: 'UnrecognizedClientException',
        },
      } as const;
      for (const [fault, names] of Object.entries(expected)) {
        aws.faults.setCredentialFault(fault as keyof typeof expected);
        for (const [svc, name] of Object.entries(names))
          await expect(calls[svc as keyof typeof calls](), `${fault} ${svc}`).rejects.toMatchObject({ name });
      }
    } finally {
      aws.faults.setCredentialFault(null);
    }
    // An access key the servers do not know, as a wrong profile would send.
    const stranger = { accessKeyId: 'AKIAWRONGKEY', secretAccessKey: 'x' };
    await expect(
      new STSClient({ region: aws.region, endpoint: aws.stsEndpoint, credentials: stranger }).send(
        new GetCallerIdentityCommand({}),
      ),
    ).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    await expect(
      new S3Client({ ...aws.s3Config, credentials: stranger }).send(new ListObjectsV2Command({ Bucket: aws.bucket })),
    ).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    await expect(aws.s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
    sts.destroy();
    logs.destroy();
  });
});

describe('s3rver', () => {
  it('pages ListObjectsV2 (continuation tokens need the OpenSSL legacy provider, which the launcher gives its child)', async () => {
    for (let i = 0; i < 7; i++)
      await aws.s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: `paging/${i}.txt`, Body: String(i) }));
    const keys: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: aws.s3, pageSize: 3 },
      { Bucket: aws.bucket, Prefix: 'paging/' },
    )) {
      pages++;
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    }
    expect(pages).toBe(3);
    expect(keys).toHaveLength(7);
  });
});

describe('MaxConcurrency', () => {
  it('keeps items pending beyond MaxConcurrency, and starts none after a stop', async () => {
    const one = await startLocalAws({ map: { maxConcurrency: 1 } });
    const client = new SFNClient({ region: one.region, endpoint: one.sfnEndpoint, credentials: one.credentials });
    const release = one.faults.holdInvocations();
    try {
      const payload = await stageCaiFixtures(one.s3, {
        bucket: one.bucket,
        modelPath: await referenceModel(),
        partitions: { '1.pt': 'tiny-8.pt', '2.pt': 'tiny-8.pt', '3.pt': 'tiny-8.pt' },
      });
      const { executionArn } = await client.send(
        new StartExecutionCommand({ stateMachineArn: one.stateMachineArn, input: JSON.stringify(payload) }),
      );
      const runs = await until(
        () => client.send(new ListMapRunsCommand({ executionArn })),
        (r) => (r.mapRuns?.length ?? 0) > 0,
        'the map run',
      );
      const mapRunArn = runs.mapRuns![0].mapRunArn;
      const run = await until(
        () => client.send(new DescribeMapRunCommand({ mapRunArn })),
        (r) => r.itemCounts?.running === 1,
        'one running rank',
      );
      expect(run).toMatchObject({ maxConcurrency: 1, itemCounts: { pending: 2, running: 1, total: 3 } });
      await client.send(new StopExecutionCommand({ executionArn }));
      release();
      await one.settled();
      expect(one.lambda.invocations.filter((i) => i.functionName === one.functions.inference)).toHaveLength(1);
      expect((await client.send(new DescribeMapRunCommand({ mapRunArn }))).itemCounts).toMatchObject({
        pending: 2,
        running: 0,
        aborted: 1,
      });

      // A failed item ends the map run: the queued ones never start either.
      one.faults.failRank(0);
      const failed = await client.send(
        new StartExecutionCommand({ stateMachineArn: one.stateMachineArn, input: JSON.stringify(payload) }),
      );
      const d = await until(
        () => client.send(new DescribeExecutionCommand({ executionArn: failed.executionArn })),
        (x) => x.status !== 'RUNNING',
        'the failure',
      );
      expect(d.status).toBe('FAILED');
      await one.settled();
      expect(one.lambda.invocations.filter((i) => i.functionName === one.functions.inference)).toHaveLength(2);
    } finally {
      release();
      client.destroy();
      await one.close();
    }
  });
});

describe('LogStore filter patterns (the plain-text subset of CloudWatch Logs)', () => {
  it('matches all terms, quoted phrases and ?any-of terms; refuses JSON patterns', async () => {
    const { LogStore } = await import('../infra/logs-local.ts');
    const store = new LogStore();
    const g = '/aws/lambda/x';
    for (const m of [
      'START RequestId: a',
      'ERROR Invoke Error rank 1',
      'REPORT RequestId: a\tDuration: 1 ms',
      'END RequestId: a',
    ])
      store.append(g, 's', m);
    const msgs = (filterPattern: string) =>
      store.filterLogEvents({ logGroupName: g, filterPattern }).events.map((e) => e.message);
    expect(msgs('RequestId zzz')).toEqual([]);
    expect(msgs('RequestId: a')).toHaveLength(3);
    expect(msgs('"Invoke Error"')).toEqual(['ERROR Invoke Error rank 1']);
    expect(msgs('?REPORT ?ERROR')).toHaveLength(2);
    expect(() => msgs('{ $.level = "ERROR" }')).toThrow(/plain-text filter patterns only/);
    expect(() => store.filterLogEvents({ logGroupName: '/nope' })).toThrow(/does not exist/);
  });
});
