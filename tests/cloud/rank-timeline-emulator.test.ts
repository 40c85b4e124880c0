/**
 * The rank timeline of a real execution on the local emulator (our ASL, our Lambda handlers, s3rver): 6 ranks, one
 * of them failing. The test reads the execution's Distributed Map children itself (ListMapRuns, ListExecutions,
 * GetExecutionHistory per child) and checks every rank's times, phases and the measured peak against them.
 */
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { buildRecord, follow, launch } from '../../cloud/cloud-run.ts';
import { CloudRunRecordSchema, type CloudRunRecord } from '../../base/cloud-run-record.ts';
import { stageForRun, type StageResult } from '../../cloud/cloud-stage.ts';
import { snapshotExecution } from '../../cloud/monitor.ts';
import { buildPayload } from '../../cloud/payload.ts';
import type { StoredProfile } from '../../base/profile-schema.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { writeTinyCodeDir } from '../support/cloud-tiny-model.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { localAwsStoredProfile } from '../support/local-aws-profile.ts';

let aws: LocalAws;
let work: string;
let profile: StoredProfile;
let clients: AwsClients;
let staged: StageResult;
const cipher = new TestCipher();

beforeAll(async () => {
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'rank-timeline-'));
  const codeDir = await writeTinyCodeDir(work);
  profile = localAwsStoredProfile(cipher, aws, { lambdaMemoryMb: 3008 });
  clients = makeClients(profile, { cipher, maxAttempts: 4 });
  // small-64.pt in 0.25 MB partitions: 6 files, one per rank.
  staged = await stageForRun(clients, {
    dataDir: path.join(work, 'data-dir'),
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

interface Child {
  rank: number;
  events: HistoryEvent[];
}

/** The execution's Map iterations as the test reads them itself: one child execution per item. */
async function childrenOf(executionArn: string): Promise<Child[]> {
  const runs = (await clients.sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
  expect(runs).toHaveLength(1);
  const list = (await clients.sfn.send(new ListExecutionsCommand({ mapRunArn: runs[0].mapRunArn }))).executions ?? [];
  return Promise.all(
    list.map(async (c) => {
      const events =
        (await clients.sfn.send(new GetExecutionHistoryCommand({ executionArn: c.executionArn, maxResults: 1000 })))
          .events ?? [];
      const input = JSON.parse(events[0].executionStartedEventDetails!.input!) as { rank: number };
      return { rank: input.rank, events };
    }),
  );
}

async function runAndRead(failRank?: number) {
  if (failRank !== undefined) aws.faults.failRank(failRank, { name: 'RuntimeError', message: 'fails on purpose' });
  try {
    const payload = buildPayload(profile, {
      batchSize: 8,
      fileLimit: staged.partitions,
      partitionMb: 0.25,
      s3ObjectName: staged.s3ObjectName,
      objectType: staged.objectType,
      script: staged.script,
    });
    const started = await launch(clients, payload);
    await follow(clients, started.executionArn, { intervalMs: 150, tailLogs: false });
    await aws.settled();
    const record = await buildRecord(clients, await snapshotExecution(clients.sfn, started.executionArn), 'tl', {
      reportWaitMs: 5_000,
    });
    const parent =
      (await clients.sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }))).events ?? [];
    const t0 = parent.find((e) => e.type === 'ExecutionStarted')!.timestamp!.getTime();
    return { record, t0, children: await childrenOf(started.executionArn) };
  } finally {
    aws.faults.clearRankFailures();
  }
}

const endOf = (c: Child) => c.events.find((e) => /^Execution(Succeeded|Failed|Aborted)$/.test(e.type ?? ''))!;

/** Every rank's submitted / started / ended are its child execution's events, in s from ExecutionStarted. */
function expectTimesFromChildren(record: CloudRunRecord, children: Child[], t0: number) {
  const s = (e: HistoryEvent | undefined) => (e!.timestamp!.getTime() - t0) / 1000;
  expect(record.rank_timeline!.ranks.map((r) => r.rank).sort()).toEqual(children.map((c) => c.rank).sort());
  for (const c of children) {
    const r = record.rank_timeline!.ranks.find((x) => x.rank === c.rank)!;
    const end = endOf(c);
    expect(r.submitted).toBeCloseTo(s(c.events.find((e) => e.type === 'ExecutionStarted')), 6);
    expect(r.started).toBeCloseTo(s(c.events.find((e) => e.type === 'TaskStarted')), 6);
    expect(r.ended).toBeCloseTo(s(end), 6);
    expect(r.status).toBe(
      end.type === 'ExecutionSucceeded' ? 'succeeded' : end.type === 'ExecutionFailed' ? 'failed' : 'aborted',
    );
    expect(r.phases[0].start).toBeCloseTo(r.started!, 6);
  }
}

describe('rank timeline on the emulated pipeline', () => {
  let record: CloudRunRecord;
  let children: Child[];
  let t0: number;

  beforeAll(async () => {
    ({ record, children, t0 } = await runAndRead());
  }, 240_000);

  it('records one timeline entry per rank, read from the Distributed Map children', () => {
    expect(CloudRunRecordSchema.safeParse(record).error).toBeUndefined();
    const tl = record.rank_timeline!;
    expect(tl.source).toBe('child-executions');
    expect(children).toHaveLength(6);
    expect(tl.ranks).toHaveLength(6);
    expect(record.rank_timeline_missing).toBeUndefined();
  });

  it("each rank's submitted / started / ended are its child execution's events; the phases tile the interval", () => {
    expectTimesFromChildren(record, children, t0);
    for (const r of record.rank_timeline!.ranks) {
      expect(r.status).toBe('succeeded');
      const last = r.phases[r.phases.length - 1];
      expect(last.phase).toBe('other');
      expect(last.start + last.seconds).toBeCloseTo(r.ended!, 6);
      expect(r.absent).toEqual([]);
    }
  });

  it('phases come from the REPORT lines, the worker output and the rank JSON', () => {
    const ok = record.rank_timeline!.ranks;
    for (const r of ok) {
      const report = record.lambda_per_rank!.find((x) => x.rank === r.rank)!;
      const init = r.phases.find((p) => p.phase === 'init')!;
      expect(init.seconds).toBeCloseTo((report.initDurationMs ?? 0) / 1000, 6);
      const i = record.rank_keys.findIndex((k) => k.endsWith(`/${r.rank}.json`));
      const res = record.rank_results[i] as Record<string, number>;
      const inference = r.phases.find((p) => p.phase === 'inference')!;
      expect(inference.seconds).toBeCloseTo(res['execution_time (seconds/batch)'] * res.num_batches, 9);
      expect(r.phases.find((p) => p.phase === 'load')!.seconds).toBeGreaterThan(0);
    }
  });

  it('measured peak concurrency = the most child task intervals [TaskStarted, end) overlapping, counted here', () => {
    const iv = children.map((c) => ({
      start: c.events.find((e) => e.type === 'TaskStarted')!.timestamp!.getTime(),
      end: endOf(c).timestamp!.getTime(),
    }));
    // Brute force: the count just after each start is where a maximum can occur.
    const peak = Math.max(...iv.map((a) => iv.filter((b) => b.start <= a.start && a.start < b.end).length));
    expect(record.measured_peak_concurrency).toBe(peak);
    expect(record.rank_timeline!.peak).toBe(peak);
    expect(peak).toBeGreaterThanOrEqual(1);
    const steps = record.rank_timeline!.concurrency;
    expect(Math.max(...steps.map((s) => s.running))).toBe(peak);
    expect(steps[steps.length - 1].running).toBe(0);
  });

  it('a failed rank: failed, its load and inference absent; the ranks aborted with it say so', async () => {
    const run = await runAndRead(4);
    expectTimesFromChildren(run.record, run.children, run.t0);
    const failed = run.record.rank_timeline!.ranks.find((r) => r.rank === 4)!;
    expect(failed.status).toBe('failed');
    expect(failed.absent.map((a) => a.phase)).toEqual(expect.arrayContaining(['load', 'inference']));
    for (const r of run.record.rank_timeline!.ranks.filter((x) => x.status === 'aborted'))
      for (const a of r.absent.filter((x) => x.phase === 'other'))
        expect(a.reason).toMatch(/past the iteration's abort/);
  }, 240_000);
});
