/**
 * A cloud run end to end against the local servers (s3rver + the local Step Functions endpoint running our ASL with
 * our Lambda handlers): stage → run → per-rank results and combined_data.json in S3 → aggregated in the app and
 * saved in History; a rank that throws; Stop mid-run; re-attach by ARN.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { buildRecord, follow, launch, saveToHistory, type CloudRunEvent } from '../../cloud/cloud-run.ts';
import { CloudRunRecordSchema } from '../../base/cloud-run-record.ts';
import { stageForRun, type StageResult } from '../../cloud/cloud-stage.ts';
import { testConnection } from '../../cloud/connection-test.ts';
import { stopExecution } from '../../cloud/execution.ts';
import { snapshotExecution } from '../../cloud/monitor.ts';
import { buildPayload } from '../../cloud/payload.ts';
import { RANK_RESULT_KEYS } from '../../cloud/rank-result.ts';
import type { StoredProfile } from '../../base/profile-schema.ts';
import { HistoryStore } from '../../app/node/history-store.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { writeTinyCodeDir } from '../support/cloud-tiny-model.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { localAwsStoredProfile } from '../support/local-aws-profile.ts';
import { pythonOracle } from '../support/python-oracle.ts';

let aws: LocalAws;
let work: string;
let dataDir: string;
let profile: StoredProfile;
let clients: AwsClients;
let staged: StageResult;
const cipher = new TestCipher();

beforeAll(async () => {
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'cloud-e2e-'));
  dataDir = path.join(work, 'data-dir');
  const codeDir = await writeTinyCodeDir(work);
  profile = localAwsStoredProfile(cipher, aws, { lambdaMemoryMb: 3008 });
  clients = makeClients(profile, { cipher, maxAttempts: 4 });
  // small-64.pt in 0.25 MB partitions: 12 galaxies per file → 6 files (5 × 12 + 4).
  staged = await stageForRun(clients, {
    dataDir,
    code: { dir: codeDir },
    dataset: path.join(FIXTURES_DIR, 'small-64.pt'),
    partitionMb: 0.25,
  });
});

afterAll(async () => {
  clients?.destroy();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const payloadFor = (over: { batchSize?: number; fileLimit?: number; worldSize?: number } = {}) =>
  buildPayload(profile, {
    batchSize: over.batchSize ?? 8,
    fileLimit: over.fileLimit ?? staged.partitions,
    worldSize: over.worldSize,
    partitionMb: 0.25,
    s3ObjectName: staged.s3ObjectName,
    objectType: staged.objectType,
    script: staged.script,
  });

describe('cloud run against the local Step Functions + s3rver', () => {
  it('stages the study layout: folders, the code+model folder and 6 partitions, then skips them all on a second stage', async () => {
    expect(staged).toMatchObject({
      s3ObjectName: 'scripts/cosmicai-bench',
      objectType: 'folder',
      script: '/tmp/scripts/cosmicai-bench/model.onnx',
      dataPrefix: 'data/0.25MB/',
      partitions: 6,
      samples: 64,
      cancelled: false,
    });
    expect(staged.data).toMatchObject({ uploadedFiles: 6, skippedFiles: 0 });
    const keys = ((await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket }))).Contents ?? []).map(
      (o) => o.Key,
    );
    expect(keys).toEqual(
      expect.arrayContaining([
        'results/',
        'scripts/',
        'scripts/cosmicai-bench/model.onnx',
        'data/0.25MB/1.pt',
        'data/0.25MB/6.pt',
      ]),
    );

    const again = await stageForRun(clients, {
      dataDir,
      code: { dir: path.join(work, 'cosmicai-bench') },
      dataset: path.join(FIXTURES_DIR, 'small-64.pt'),
      partitionMb: 0.25,
    });
    expect(again.partitionsReused).toBe(true);
    expect(again.code).toMatchObject({ uploadedFiles: 0, skippedFiles: 1 });
    expect(again.data).toMatchObject({ uploadedFiles: 0, skippedFiles: 6 });
  });

  it('runs: map-run counts, per-rank results and combined_data.json in S3, aggregated as the study did, saved in History', async () => {
    const events: CloudRunEvent[] = [];
    const payload = payloadFor();
    const started = await launch(clients, payload, (e) => events.push(e));
    const final = await follow(clients, started.executionArn, {
      intervalMs: 150,
      logIntervalMs: 150,
      onEvent: (e) => events.push(e),
    });
    expect(final.status).toBe('SUCCEEDED');
    expect(final.items).toMatchObject({ total: 6, succeeded: 6, failed: 0, running: 0, pending: 0 });
    expect(final.failedRanks).toEqual([]);
    expect(final.mapDurationSeconds).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'status' && e.snapshot.status === 'RUNNING')).toBe(true);

    // In S3: one JSON per rank + combined_data.json, study field names exactly.
    const listed = (
      (await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: `${payload.result_path}/` })))
        .Contents ?? []
    ).map((o) => o.Key!);
    expect(listed.filter((k) => !k.endsWith('combined_data.json'))).toHaveLength(6);
    const combinedText = await (
      await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: `${payload.result_path}/combined_data.json` }))
    ).Body!.transformToString();
    const combined = JSON.parse(combinedText) as Array<Record<string, unknown>>;
    expect(combined).toHaveLength(6);
    for (const r of combined) expect(Object.keys(r).sort()).toEqual([...RANK_RESULT_KEYS].sort());

    const record = await buildRecord(clients, final, 'x');
    expect(CloudRunRecordSchema.safeParse(record).error).toBeUndefined();
    expect(record).toMatchObject({
      kind: 'cloud',
      status: 'completed',
      ranks: 6,
      results_source: 'rank-files',
      result_problems: [],
      device: 'cpu',
      batch_size: 8,
      num_batches: 2 * 5 + 1,
    });
    expect(record.combined).toHaveLength(6);
    // Independent oracle: the six rank JSONs as written to S3, aggregated here by numpy with the study's rule
    // (linear quartiles, keep Q1 − 1.5·IQR ≤ x ≤ Q3 + 1.5·IQR, mean) and summed by hand.
    const rankFiles = await Promise.all(
      listed
        .filter((k) => !k.endsWith('combined_data.json'))
        .map(
          async (Key) =>
            JSON.parse(
              await (await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key }))).Body!.transformToString(),
            ) as Record<string, number>,
        ),
    );
    expect(rankFiles).toHaveLength(6);
    const cpu = rankFiles.map((r) => r['total_cpu_time (seconds)']);
    const numpyMean = pythonOracle<number>(
      'import json,sys\nimport numpy as np\na=np.array(json.load(sys.stdin))\nq1,q3=np.percentile(a,[25,75])\n' +
        'i=q3-q1\nprint(json.dumps(float(a[(a>=q1-1.5*i)&(a<=q3+1.5*i)].mean())))',
      cpu,
    );
    expect(record['total_cpu_time (seconds)']).toBeCloseTo(numpyMean, 12);
    let bps = 0,
      mem = 0,
      bits = 0,
      batches = 0;
    for (const r of rankFiles) {
      bps += r.throughput_bps;
      mem += r['total_cpu_memory (MB)'];
      bits += r.throughput_bps * r['total_cpu_time (seconds)'];
      batches += r.num_batches;
    }
    expect(batches).toBe(11);
    expect(record.throughput_bps).toBeCloseTo(bps, 6);
    expect(record['total_cpu_memory (MB)']).toBeCloseTo(mem, 6);
    expect(record.total_bits).toBeCloseTo(bits, 3);
    expect(record.wall_throughput_bps).toBeCloseTo(record.total_bits! / final.mapDurationSeconds!, 3);
    // REPORT lines of the 6 inference invocations, from the log group.
    expect(record.lambda?.invocations).toBe(6);
    expect(record.lambda?.billedDurationMs).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'logs' && e.lines.some((l) => l.report))).toBe(true);

    const history = new HistoryStore(dataDir);
    const id = await saveToHistory(history, record);
    const { entry, partitions } = await history.get(id);
    expect(entry).toMatchObject({ kind: 'cloud', status: 'completed' });
    expect((entry.record as { executionArn: string }).executionArn).toBe(started.executionArn);
    expect(partitions).toHaveLength(6);
    expect((await history.list()).some((i) => !i.damaged && i.id === id && i.kind === 'cloud')).toBe(true);

    // Now the log group exists, every connection check passes.
    const checks = await testConnection(clients);
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['identity', true],
      ['bucket', true],
      ['state-machine', true],
      ['log-group', true],
      ['lambda-memory', true],
    ]);
  });

  it('a rank that throws: the execution fails, the failed rank and its error are shown, the finished ranks are kept', async () => {
    aws.faults.failRank(2, { name: 'RuntimeError', message: 'rank 2 ran out of galaxies' });
    try {
      const started = await launch(clients, payloadFor());
      const final = await follow(clients, started.executionArn, { intervalMs: 150, tailLogs: false });
      expect(final.status).toBe('FAILED');
      expect(final.failedRanks).toHaveLength(1);
      expect(final.failedRanks[0]).toMatchObject({ rank: '2', error: 'RuntimeError' });
      expect(final.failedRanks[0].cause).toBe('rank 2 ran out of galaxies');
      expect(final.failedRanks[0].dataPath).toBe('data/0.25MB/3.pt');

      await aws.settled(); // ranks already running finish, as on AWS
      const record = await buildRecord(clients, await snapshotExecution(clients.sfn, started.executionArn), 'y');
      expect(record.status).toBe('failed');
      expect(record.combined).toBeNull();
      expect(record.ranks).toBe(5);
      expect(record.rank_results.map((r) => r.data_path)).not.toContain('data/0.25MB/3.pt');
      expect(record.failed_ranks[0]).toMatchObject({ rank: '2', error: 'RuntimeError' });
      const history = new HistoryStore(dataDir);
      const id = await saveToHistory(history, record);
      const { entry } = await history.get(id);
      expect(entry.status).toBe('failed');
      expect(entry.error?.message).toMatch(/rank 2: RuntimeError/);
      expect(entry.error?.message).toMatch(/5 rank result\(s\) were kept/);
    } finally {
      aws.faults.clearRankFailures();
    }
  });

  it('Stop mid-run aborts the execution; re-attaching by ARN reads the same state', async () => {
    const release = aws.faults.holdInvocations();
    try {
      const started = await launch(clients, payloadFor());
      // Wait until ranks are in flight.
      let snap = await snapshotExecution(clients.sfn, started.executionArn);
      for (let i = 0; i < 200 && !(snap.items && snap.items.running > 0); i++) {
        await new Promise((r) => setTimeout(r, 50));
        snap = await snapshotExecution(clients.sfn, started.executionArn);
      }
      expect(snap.status).toBe('RUNNING');
      expect(snap.items?.running).toBeGreaterThan(0);
      expect(await stopExecution(clients.sfn, started.executionArn)).toEqual({ stopped: true, status: 'ABORTED' });
      release();
      const final = await follow(clients, started.executionArn, { intervalMs: 100, tailLogs: false });
      expect(final.status).toBe('ABORTED');
      expect(await stopExecution(clients.sfn, started.executionArn)).toEqual({ stopped: false, status: 'ABORTED' });

      // A fresh client (as after an app restart) re-attaches by ARN alone.
      const again = makeClients(profile, { cipher });
      try {
        const record = await buildRecord(again, await snapshotExecution(again.sfn, started.executionArn), 'z');
        expect(record.status).toBe('aborted');
        expect(record.executionArn).toBe(started.executionArn);
        expect(record.error).toBeTruthy();
      } finally {
        again.destroy();
      }
    } finally {
      release();
      await aws.settled();
    }
  });

  it('keeps following through a throttling outage longer than the SDK retries', async () => {
    const impatient = makeClients(profile, { cipher, maxAttempts: 2 });
    const notices: string[] = [];
    try {
      const release = aws.faults.holdInvocations();
      const started = await launch(impatient, payloadFor({ fileLimit: 2 }));
      const before = aws.faults.throttled('sfn');
      aws.faults.throttleNext(4, 'sfn'); // two polls in a row fail after their 2 tries each
      setTimeout(release, 200);
      const final = await follow(impatient, started.executionArn, {
        intervalMs: 50,
        tailLogs: false,
        onEvent: (e) => e.type === 'notice' && notices.push(e.message),
      });
      expect(final.status).toBe('SUCCEEDED');
      expect(aws.faults.throttled('sfn') - before).toBe(4);
      expect(notices.length).toBeGreaterThanOrEqual(1);
      expect(notices[0]).toMatch(/Status temporarily unavailable .*throttling.*; still polling/);
    } finally {
      impatient.destroy();
      await aws.settled();
    }
  });

  it('stops following on abort without touching the execution', async () => {
    const release = aws.faults.holdInvocations();
    try {
      const started = await launch(clients, payloadFor({ fileLimit: 2 }));
      const ac = new AbortController();
      const last = await follow(clients, started.executionArn, {
        intervalMs: 50,
        tailLogs: false,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'status') ac.abort();
        },
      });
      expect(last.status).toBe('RUNNING');
      expect((await snapshotExecution(clients.sfn, started.executionArn)).status).toBe('RUNNING');
      release();
      const final = await follow(clients, started.executionArn, { intervalMs: 100, tailLogs: false });
      expect(final.status).toBe('SUCCEEDED');
    } finally {
      release();
      await aws.settled();
    }
  });
});
