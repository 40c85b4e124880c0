/**
 * Re-run only the failed ranks, from the app: a run where rank 1 throws fails with ranks 0 and 2 kept; rerunFailed
 * starts a new execution whose payload names only rank 1 and its partition, into the same result_path, and the
 * run's History entry then holds the merged results (all three ranks, completed) and a record that covers both
 * executions: Lambda totals and Table 3's cost from every REPORT line the emulator wrote (counted here from its log
 * store, not from the app's attribution), lanes of both executions, and the executions listed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CloudFinished } from '../../app/common/contract/index.ts';
import { createInitializer } from '../../cloud/lambda/initializer.ts';
import { rerunPayload } from '../../cloud/rerun.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { writeTinyCodeDir } from '../support/cloud-tiny-model.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { s3rverClientConfig } from '../infra/s3rver.ts';
import { localAwsProfileInput, startAppApi, type AppApi } from '../support/app-services.ts';
import { HistoryStore } from '../../app/node/history-store.ts';
import { measurementFromRunRecord } from '../../study/cloud-measurement.ts';
import { table3 } from '../../study/tables.ts';
import { executionsSummary } from '../../base/run-executions.ts';
import type { CloudRunRecord } from '../../base/cloud-run-record.ts';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'cosmicai.mjs');

let aws: LocalAws;
let work: string;
let api: AppApi;
let call: AppApi['call'];
let codeDir: string;

beforeAll(async () => {
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'cosmicai-rerun-'));
  codeDir = await writeTinyCodeDir(work);
  api = startAppApi({ dataDir: path.join(work, 'data'), mode: 'browser', cipher: new TestCipher(), cloudPollMs: 100 });
  call = api.call;
}, 60_000);
afterAll(async () => {
  await api?.services.shutdown();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function nthFinish(runId: string, n: number): Promise<CloudFinished> {
  for (let i = 0; i < 1200; i++) {
    const mine = api.events
      .filter((e) => e.channel === 'cloud.finished' && e.payload.runId === runId)
      .map((e) => e.payload as CloudFinished);
    if (mine.length >= n) return mine[n - 1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${runId} did not finish ${n} time(s)`);
}

/** The inference Lambda's REPORT lines the emulator wrote, from message `from` on: billed ms and Memory Size each. */
function reportsSince(from: number): Array<{ billedMs: number; memoryMb: number }> {
  return aws.logs
    .messages(`/aws/lambda/${aws.functions.inference}`)
    .slice(from)
    .filter((m) => m.startsWith('REPORT RequestId:'))
    .map((m) => ({
      billedMs: Number(/Billed Duration: (\d+) ms/.exec(m)![1]),
      memoryMb: Number(/Memory Size: (\d+) MB/.exec(m)![1]),
    }));
}
const logLength = () => aws.logs.messages(`/aws/lambda/${aws.functions.inference}`).length;

/** Starts a cloud run of small-64.pt (3 ranks) in `app` whose `rank` throws; resolves with its id once it failed. */
async function runWithFailedRank(app: AppApi, profile: string, rank: number): Promise<string> {
  aws.faults.failRank(rank, { name: 'RuntimeError', message: `rank ${rank} hit a bad node` });
  const { runId } = await app.call('cloud.start', {
    profile,
    data: [path.join(FIXTURES_DIR, 'small-64.pt')],
    partitionMb: 0.5,
    codeDir,
    batchSize: 16,
  });
  expect((await app.nextEvent<CloudFinished>('cloud.finished', 'runId', runId)).status).toBe('failed');
  await aws.settled();
  aws.faults.clearRankFailures();
  return runId;
}

/** The same under a new profile with env credentials (what the CLI below reads). */
async function failedRunForTheCli(profile: string, rank: number): Promise<string> {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
  });
  await call('cloud.addProfile', { ...localAwsProfileInput(aws, profile), credentials: { source: 'env' } });
  return runWithFailedRank(api, profile, rank);
}

/** Runs the CLI on the app's data folder; `onStderr` sees the stderr so far as it grows (to interrupt the CLI). */
function cli(
  args: string[],
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, COSMICAI_DATA_DIR: path.join(work, 'data'), AWS_SESSION_TOKEN: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('error', reject).on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('re-run failed ranks', () => {
  it('re-runs only the failed rank into the same result_path and merges the results into the run', async () => {
    await call('cloud.addProfile', localAwsProfileInput(aws));
    const logStart = logLength();
    const runId = await runWithFailedRank(api, 'local', 1);
    const firstReports = reportsSince(logStart);
    const logAfterFirst = logLength();
    expect(firstReports).toHaveLength(3); // ranks 0, 1 (the failed attempt, billed too) and 2

    const before = await call('history.get', { id: runId });
    expect(before.entry.status).toBe('failed');
    expect(before.entry.record.failed_ranks).toEqual([expect.objectContaining({ rank: '1', error: 'RuntimeError' })]);
    expect(before.entry.record.rank_results.length).toBeLessThan(3); // recorded as the execution failed (ranks still running finish later)
    const resultPath = before.entry.record.result_path;
    const payload = rerunPayload(before.entry.record);
    expect(payload.ranks).toEqual([{ rank: 1, files: [before.entry.record.failed_ranks[0].dataPath] }]);
    expect(payload.result_path).toBe(resultPath);

    expect(await call('cloud.rerunFailed', { runId })).toEqual({ runId });
    expect((await nthFinish(runId, 2)).status).toBe('completed');
    await aws.settled();
    const rerunReports = reportsSince(logAfterFirst);
    expect(rerunReports).toHaveLength(1); // rank 1 again
    const after = await call('history.get', { id: runId });
    expect(after.entry.status).toBe('completed');
    expect(after.entry.record.result_path).toBe(resultPath);
    expect(after.entry.record.failed_ranks).toEqual([]);
    expect(after.entry.record.rank_results).toHaveLength(3); // ranks 0 and 2 from the first execution, 1 from the re-run
    expect(after.entry.record.items.total).toBe(4); // 3 Map items in the first execution + 1 in the re-run
    expect(after.entry.params.reruns).toHaveLength(1);

    // The record covers both executions: every billed invocation, the failed attempt included.
    const all = [...firstReports, ...rerunReports];
    const billedMs = all.reduce((a, r) => a + r.billedMs, 0);
    const rec = after.entry.record;
    expect(rec.lambda.invocations).toBe(firstReports.length + rerunReports.length);
    expect(rec.lambda.billedDurationMs).toBe(billedMs);
    expect(rec.executions.map((e: { role: string }) => e.role)).toEqual(['original', 'rerun']);
    expect(rec.executions.map((e: { ranks: number[] }) => e.ranks)).toEqual([[0, 1, 2], [1]]);
    expect(rec.executions[0].lambda.invocations).toBe(3);
    expect(rec.executionArn).toBe(before.entry.record.executionArn);
    expect(rec.started).toBe(before.entry.record.started);
    expect(Date.parse(rec.finished)).toBeGreaterThan(Date.parse(before.entry.record.finished));
    const lanes = rec.rank_timeline.ranks as Array<{ rank: number; execution: number; status: string }>;
    expect(new Set(lanes.map((l) => l.execution))).toEqual(new Set([0, 1]));
    expect(lanes.filter((l) => l.rank === 1).map((l) => [l.execution, l.status])).toEqual([
      [0, 'failed'],
      [1, 'succeeded'],
    ]);
    expect(executionsSummary(rec)).toBe('2 executions (original + re-run of rank 1)');
    // Table 3's cost: both executions' billed seconds × GB at $0.0000166667 per GB-s + 4 requests at $0.20 per million.
    const memoryMb = new Set(all.map((r) => r.memoryMb));
    expect(memoryMb.size).toBe(1);
    const gb = [...memoryMb][0] / 1024;
    const byHand = (billedMs / 1000) * gb * 0.0000166667 + (all.length * 0.2) / 1e6;
    // A study-layout result_path puts the run in a Table 3 row; the cost does not depend on it.
    const m = measurementFromRunRecord({ ...rec, result_path: 'team/result-partition-1MB/small/1' });
    const row = table3([m]).rows[0];
    expect(row.invocations).toBe(4);
    expect(row.cost_usd as number).toBeCloseTo(byHand, 12);
    expect(after.partitions).toHaveLength(3);
    const list = await call('history.list');
    expect(list.items.filter((i: { id?: string }) => i.id === runId)).toHaveLength(1);

    // Nothing left to re-run.
    await expect(call('cloud.rerunFailed', { runId })).rejects.toMatchObject({ code: 'NOTHING_TO_RERUN' });
  }, 180_000);

  it('the initializer runs exactly the named ranks, and refuses files that are not in the data prefix', async () => {
    const s3 = new S3Client(s3rverClientConfig(aws.s3Endpoint));
    for (const n of [1, 2, 3])
      await s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: `rerun-data/${n}.pt`, Body: 'x' }));
    const init = createInitializer({ s3 });
    const base = {
      bucket: aws.bucket,
      file_limit: 3,
      batch_size: 8,
      object_type: 'file',
      S3_object_name: 'scripts/m.onnx',
      script: '/tmp/scripts/m.onnx',
      result_path: 'results/x',
      data_bucket: aws.bucket,
      data_prefix: 'rerun-data/',
      world_size: 3,
    };
    const out = await init({ ...base, ranks: [{ rank: 2, files: ['rerun-data/3.pt'] }] });
    expect(out.items.map((i) => [i.rank, i.world_size, i.files])).toEqual([[2, 3, ['rerun-data/3.pt']]]);
    await expect(init({ ...base, ranks: [{ rank: 0, files: ['rerun-data/9.pt'] }] })).rejects.toThrow(
      /not under s3:\/\/.*rerun-data\/9\.pt/,
    );
    await expect(init({ ...base, ranks: [{ rank: 0, files: ['../x.pt'] }] })).rejects.toThrow(
      /must not contain a "\.\." segment/,
    );
    s3.destroy();
  });

  it('a re-run the app stopped following (closed mid-run) is re-attached into its run, merged, not as a new run', async () => {
    // A second app on its own data folder, closed while the re-run's Lambda is held mid-invocation.
    const dataDir = path.join(work, 'data-detach');
    const cipher = new TestCipher(); // the OS keychain, the same across the app's restarts
    const first = startAppApi({ dataDir, mode: 'browser', cipher, cloudPollMs: 100 });
    await first.call('cloud.addProfile', localAwsProfileInput(aws));
    const runId = await runWithFailedRank(first, 'local', 2);
    const original = (await first.call('history.get', { id: runId })).entry.record as CloudRunRecord;

    const release = aws.faults.holdInvocations();
    let rerunArn = '';
    try {
      await first.call('cloud.rerunFailed', { runId });
      for (let i = 0; i < 400 && !rerunArn; i++) {
        const { entry } = await first.call('history.get', { id: runId });
        rerunArn = (entry.params.reruns as Array<{ executionArn: string }> | undefined)?.[0]?.executionArn ?? '';
        if (!rerunArn) await new Promise((r) => setTimeout(r, 50));
      }
      expect(rerunArn).toMatch(/^arn:aws:states:/);
      await first.services.shutdown(); // the app quits: the re-run keeps running, unrecorded
    } finally {
      release();
    }

    const second = startAppApi({ dataDir, mode: 'browser', cipher, cloudPollMs: 100 });
    try {
      const stale = await second.call('history.get', { id: runId });
      expect(stale.entry.record.executions).toBeUndefined(); // still the original execution's record alone
      // A second re-run of the same ranks is refused until this one is recorded.
      await expect(second.call('cloud.rerunFailed', { runId })).rejects.toMatchObject({
        code: 'BUSY',
        message: expect.stringContaining(rerunArn),
      });
      // Re-attaching by the re-run's ARN records into the same run.
      expect(await second.call('cloud.attach', { profile: 'local', executionArn: rerunArn })).toEqual({ runId });
      const fin = await second.nextEvent<CloudFinished>('cloud.finished', 'runId', runId);
      expect(fin.status, JSON.stringify(fin)).toBe('completed');
      const { entry } = await second.call('history.get', { id: runId });
      const rec = entry.record as CloudRunRecord;
      expect(rec.executionArn).toBe(original.executionArn);
      expect(rec.executions?.map((e) => [e.role, e.executionArn, e.ranks])).toEqual([
        ['original', original.executionArn, [0, 1, 2]],
        ['rerun', rerunArn, [2]],
      ]);
      expect(rec.failed_ranks).toEqual([]);
      expect(rec.rank_results).toHaveLength(3);
      expect(entry.status).toBe('completed');
      // One History entry for the run, none for either execution on its own.
      const items = (await second.call('history.list')).items as Array<{ id: string; kind: string }>;
      expect(items.filter((i) => i.kind === 'cloud').map((i) => i.id)).toEqual([runId]);
    } finally {
      await second.services.shutdown();
    }
  }, 180_000);

  it('cosmicai cloud rerun-failed RUN_ID does the same from the CLI', async () => {
    const runId = await failedRunForTheCli('envp', 0);

    const res = await cli(['cloud', 'rerun-failed', runId, '--interval', '0.2', '--no-logs']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/re-running rank\(s\) 0 of arn:/);
    expect(res.stdout).toMatch(new RegExp(`merged into History run ${runId}`));
    expect(res.stdout).toMatch(/2 executions \(original \+ re-run of rank 0\)/);
    const { entry } = await new HistoryStore(path.join(work, 'data')).get(runId);
    expect(entry.status).toBe('completed');
    const rec = entry.record as CloudRunRecord;
    expect(rec.rank_results).toHaveLength(3);
    // The same merged record as the app's: both executions, their Map items and REPORT lines summed.
    expect(rec.executions?.map((e) => [e.role, e.ranks])).toEqual([
      ['original', [0, 1, 2]],
      ['rerun', [0]],
    ]);
    expect(rec.items?.total).toBe(4);
    expect(rec.lambda?.invocations).toBe(4);
    expect(new Set(rec.rank_timeline?.ranks.map((l) => l.execution))).toEqual(new Set([0, 1]));
  }, 180_000);

  it('from the CLI: Ctrl-C during rerun-failed, then `cloud attach ARN` merges the re-run into the run', async () => {
    const runId = await failedRunForTheCli('envq', 1);

    const release = aws.faults.holdInvocations();
    let rerunArn = '';
    try {
      const stopped = await cli(['cloud', 'rerun-failed', runId, '--interval', '0.2', '--no-logs'], (text, child) => {
        const m = /re-running rank\(s\) 1 of \S+ as (\S+)/.exec(text);
        if (m && !rerunArn) {
          rerunArn = m[1];
          child.kill('SIGINT'); // Ctrl-C: the CLI detaches, the execution keeps running
        }
      });
      expect(rerunArn).toMatch(/^arn:aws:states:/);
      expect(stopped.stderr, JSON.stringify(stopped)).toContain(`re-attach with: cosmicai cloud attach ${rerunArn}`);
    } finally {
      release();
    }
    const attached = await cli(['cloud', 'attach', rerunArn, '--profile', 'envq', '--interval', '0.2', '--no-logs']);
    expect(attached.status, attached.stderr).toBe(0);
    expect(attached.stderr).toContain(`re-runs failed ranks of History run ${runId}`);
    expect(attached.stdout).toMatch(new RegExp(`merged into History run ${runId}`));
    const { entry } = await new HistoryStore(path.join(work, 'data')).get(runId);
    const rec = entry.record as CloudRunRecord;
    expect(rec.executions?.map((e) => [e.role, e.ranks])).toEqual([
      ['original', [0, 1, 2]],
      ['rerun', [1]],
    ]);
    expect(rec.executions?.[1].executionArn).toBe(rerunArn);
    expect(rec.failed_ranks).toEqual([]);
    const items = (await call('history.list')).items as Array<{ id: string; name: string }>;
    expect(items.filter((i) => i.name.includes(rerunArn.split(':').pop()!))).toEqual([]); // no entry of its own
  }, 180_000);
});
