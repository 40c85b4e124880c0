/**
 * The cloud part of the app API, through the real dispatcher and Node services, against the local servers:
 * profiles (redacted, pasted keys encrypted), Test connection, payload preview/validation, a run followed on the
 * cloud.* channels into History, and Stop mid-run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudFinished, CloudProgress } from '../../app/common/contract/index.ts';
import type { NodeServices } from '../../app/node/services/index.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { writeTinyCodeDir } from '../support/cloud-tiny-model.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { localAwsProfileInput, startAppApi, type AppApi } from '../support/app-services.ts';

let aws: LocalAws;
let work: string;
let services: NodeServices;
let call: AppApi['call'];
let events: AppApi['events'];
let finished: (runId: string) => Promise<CloudFinished>;
let codeDir: string;

beforeAll(async () => {
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'app-cloud-'));
  codeDir = await writeTinyCodeDir(work);
  const api = startAppApi({
    dataDir: path.join(work, 'data'),
    mode: 'browser',
    cipher: new TestCipher(),
    cloudPollMs: 100,
  });
  ({ services, call, events } = api);
  finished = (runId) => api.nextEvent<CloudFinished>('cloud.finished', 'runId', runId);
});
afterAll(async () => {
  await services?.shutdown();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('cloud API', () => {
  it('saves a profile with pasted keys encrypted; the UI only gets the redacted view', async () => {
    expect(await call('cloud.canStoreKeys')).toEqual({ available: true });
    const { profile } = await call('cloud.addProfile', localAwsProfileInput(aws));
    expect(profile.credentials).toEqual({ source: 'static', accessKeyIdHint: 'RVER' });
    const listed = await call('cloud.listProfiles');
    expect(JSON.stringify(listed)).not.toMatch(/encrypted|secretAccessKey/);
    const file = await readFile(path.join(work, 'data', 'profiles.json'), 'utf8');
    expect(file).not.toMatch(/"S3RVER"/);

    const { checks } = await call('cloud.testProfile', { name: 'local' });
    // Every one of the five checks ran (an empty list would pass `every`) and passed.
    expect(checks.map((c: { name: string }) => c.name).sort()).toEqual([
      'bucket',
      'identity',
      'lambda-memory',
      'log-group',
      'state-machine',
    ]);
    expect(checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);

    await expect(
      call('cloud.addProfile', {
        name: 'bad',
        credentials: { source: 'env' },
        region: 'x',
        bucket: 'B',
        stateMachineArn: 'y',
        inferenceLambdaName: 'z',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('previews the payload and validates edits with field paths', async () => {
    // small-64.pt in 0.5 MB partitions (25 galaxies each): 3 files, counted from the headers.
    const { payload, text } = await call('cloud.previewPayload', {
      profile: 'local',
      batchSize: 64,
      partitionMb: 0.5,
      codeDir,
      data: [path.join(FIXTURES_DIR, 'small-64.pt')],
    });
    expect(payload).toMatchObject({
      bucket: aws.bucket,
      file_limit: 3,
      batch_size: 64,
      object_type: 'folder',
      S3_object_name: 'scripts/cosmicai-bench',
      data_prefix: 'data/0.5MB/',
    });
    expect(JSON.parse(text)).toEqual(payload);
    await expect(
      call('cloud.previewPayload', { profile: 'local', partitionMb: 0.5, data: [path.join(work, 'nope.pt')] }),
    ).rejects.toThrow(/nope\.pt/);
    const bad = await call('cloud.validatePayload', { text: text.replace('"batch_size": 64', '"batch_size": "many"') });
    expect(bad.ok).toBe(false);
    expect(bad.issues[0].path).toBe('batch_size');
  });

  it('runs: staging and running progress on cloud.progress, log lines on cloud.logs, the record in History', async () => {
    const { runId } = await call('cloud.start', {
      profile: 'local',
      data: [path.join(FIXTURES_DIR, 'small-64.pt')],
      partitionMb: 0.5,
      codeDir,
      batchSize: 16,
    });
    const end = await finished(runId);
    expect(end).toMatchObject({ runId, status: 'completed' });
    const mine = events.filter((e) => e.payload.runId === runId);
    const progress = mine.filter((e) => e.channel === 'cloud.progress').map((e) => e.payload as CloudProgress);
    expect(progress.some((p) => p.phase === 'staging' && p.stage?.step === 'data')).toBe(true);
    expect(progress.some((p) => p.phase === 'starting' && p.payload?.batch_size === 16)).toBe(true);
    expect(progress.some((p) => p.phase === 'running' && p.items?.total === 3)).toBe(true);
    expect(
      mine.some((e) => e.channel === 'cloud.logs' && e.payload.lines.some((l: { report?: unknown }) => l.report)),
    ).toBe(true);

    const { entry, partitions } = await call('history.get', { id: runId });
    expect(entry).toMatchObject({ kind: 'cloud', status: 'completed' });
    expect(entry.record).toMatchObject({ kind: 'cloud', ranks: 3, batch_size: 16 });
    expect(entry.params.executionArn).toBe(end.executionArn);
    expect(partitions).toHaveLength(3);
    expect(await call('cloud.active')).toEqual({ runs: [] });
  });

  it('Stop mid-run aborts the execution and records the run as cancelled', async () => {
    const release = aws.faults.holdInvocations();
    try {
      const { runId } = await call('cloud.start', {
        profile: 'local',
        data: [path.join(FIXTURES_DIR, 'small-64.pt')],
        partitionMb: 0.5,
        codeDir,
        batchSize: 16,
      });
      for (let i = 0; i < 400; i++) {
        const a = (await call('cloud.active')).runs.find((r: { runId: string }) => r.runId === runId);
        if (a?.progress?.items?.running > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      // The invocations are held (holdInvocations), so ranks are running now, however slow the machine.
      const active = (await call('cloud.active')).runs.find((r: { runId: string }) => r.runId === runId);
      expect(active?.progress?.items?.running).toBeGreaterThan(0);
      await call('cloud.stop', { runId });
      release();
      expect(await finished(runId)).toMatchObject({ status: 'cancelled' });
      const { entry } = await call('history.get', { id: runId });
      expect(entry.status).toBe('cancelled');
      expect(entry.record.status).toBe('aborted');
    } finally {
      release();
      await aws.settled();
    }
  });

  it('re-attaches to an execution by its ARN', async () => {
    const { items } = await call('history.list');
    const done = items.find((i: { kind: string; status: string }) => i.kind === 'cloud' && i.status === 'completed');
    const { entry } = await call('history.get', { id: done.id });
    const { runId } = await call('cloud.attach', { profile: 'local', executionArn: entry.params.executionArn });
    expect(await finished(runId)).toMatchObject({ status: 'completed', executionArn: entry.params.executionArn });
    const again = await call('history.get', { id: runId });
    expect(again.entry.record.total_bits).toBeCloseTo(entry.record.total_bits, 3);
    await expect(
      call('cloud.attach', { profile: 'local', executionArn: 'arn:aws:states:us-east-1:123:nope:x' }),
    ).rejects.toThrow(/not a Step Functions execution ARN/);
  });
});
