/**
 * A cloud sweep end to end against the local servers (s3rver + the local Step Functions endpoint running our ASL
 * with our Lambda handlers): the study's queue runs its cloud jobs, results land in the study's layout in S3, the
 * runs go to History, Table 1 comes out of the queue, and importing the study's S3 prefix gives the same numbers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../app/node/history-store.ts';
import { makeClients, type AwsClients } from '../../cloud/aws-clients.ts';
import { s3Source } from '../../study/import/object-source.ts';
import { importRecordedRuns } from '../../study/import/recorded-runs.ts';
import {
  cloudJobRunner,
  dataSizePlan,
  fileLimitFor,
  studyResultPath,
  type CloudJobRunnerOptions,
} from '../../study/cloud-job.ts';
import { runStudy } from '../../study/run-study.ts';
import { createStudy, studyMeasurements, type StudyState } from '../../study/study-store.ts';
import { table1 } from '../../study/tables.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { writeTinyCodeDir } from '../support/cloud-tiny-model.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { localAwsStoredProfile } from '../support/local-aws-profile.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';

let aws: LocalAws;
let work: string;
let dataDir: string;
let codeDir: string;
let clients: AwsClients;
const cipher = new TestCipher();

beforeAll(async () => {
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'study-cloud-'));
  dataDir = path.join(work, 'data-dir');
  codeDir = await writeTinyCodeDir(work);
  const profile = localAwsStoredProfile(cipher, aws, { lambdaMemoryMb: 3008 });
  clients = makeClients(profile, { cipher, maxAttempts: 4 });
});

afterAll(async () => {
  clients?.destroy();
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The study's cloud jobs on the local servers, staging the tiny model and small-64.pt. */
function smallFixtureJobs(
  study: StudyState,
  history: HistoryStore,
  more: Pick<CloudJobRunnerOptions, 'intervalMs' | 'onEvent'>,
) {
  return cloudJobRunner({
    clients,
    dataDir,
    studyId: study.id,
    studyName: study.name,
    history,
    code: { dir: codeDir },
    dataset: path.join(FIXTURES_DIR, 'small-64.pt'),
    ...more,
  });
}

describe('study result layout', () => {
  it('puts results where the importer reads them', () => {
    expect(
      studyResultPath('results/', 'study-1', {
        partitionMb: 25,
        dataLabel: '1GB',
        sweep: 'batch-size',
        batchSize: 64,
        repeat: 2,
      }),
    ).toBe('results/study-1/result-partition-25MB/1GB/Batches/64/2');
    expect(
      studyResultPath('results/', 'study-1', {
        partitionMb: 100,
        dataLabel: 'total',
        sweep: 'data-size',
        batchSize: 512,
        repeat: 1,
      }),
    ).toBe('results/study-1/result-partition-100MB/total/1');
    expect(fileLimitFor({ dataLabel: 'total', partitionMb: 25 }, 517)).toBe(517);
    expect(fileLimitFor({ dataLabel: '1GB', partitionMb: 100 }, 130)).toBe(11);
    expect(fileLimitFor({ dataLabel: '10GB', partitionMb: 100 }, 6)).toBe(6);
    // A job whose label asks for more than is staged is relabelled with what it processes, and says so.
    expect(dataSizePlan({ dataLabel: '1GB', partitionMb: 100 }, 130)).toEqual({
      fileLimit: 11,
      dataLabel: '1GB',
      warning: null,
    });
    const short = dataSizePlan({ dataLabel: '10GB', partitionMb: 100 }, 6);
    expect(short.fileLimit).toBe(6);
    expect(short.dataLabel).toBe('0.586GB');
    expect(short.warning).toBe(
      '10GB at 100 MB needs 103 partitions but only 6 are staged: this execution processes 6 (about 0.586GB), and its results are labelled 0.586GB, not 10GB. Stage more data to measure the labelled size.',
    );
    expect(dataSizePlan({ dataLabel: 'total', partitionMb: 25 }, 517).warning).toBeNull();
  });
});

describe('a cloud sweep on the local state machine', () => {
  it('runs two batch sizes, saves them in History and gives Table 1; the S3 results import to the same numbers', async () => {
    // small-64.pt in 0.25 MB partitions = 6 files (5 × 12 galaxies + 4).
    const study = await createStudy(dataDir, {
      target: 'cloud',
      sweeps: ['batch-size'],
      batchSizes: [4, 8],
      repeats: 1,
      batchSweepDataGb: 'all',
      batchSweepPartitionMb: 0.25,
    });
    const history = new HistoryStore(dataDir);
    const events: string[] = [];
    const done = await runStudy(study.id, {
      dataDir,
      onProgress: (p) => events.push(p.event),
      runCloudJob: smallFixtureJobs(study, history, { intervalMs: 100 }),
    });
    expect(done.jobs.map((j) => [j.id, j.status, j.error])).toEqual([
      ['cloud/batch-size/bs4/p0.25MB/total/r1', 'done', null],
      ['cloud/batch-size/bs8/p0.25MB/total/r1', 'done', null],
    ]);
    expect(events.at(-1)).toBe('finished');

    const runs = studyMeasurements(done);
    expect(runs.map((r) => [r.target, r.batchSize, r.ranks, r.partitionMb, r.dataLabel])).toEqual([
      ['cloud', 4, 6, 0.25, 'total'],
      ['cloud', 8, 6, 0.25, 'total'],
    ]);
    const { entry } = await history.get(done.jobs[0].runId!);
    expect(entry).toMatchObject({ kind: 'cloud', status: 'completed' });
    expect(entry.name).toBe(`${study.name} · cloud/batch-size/bs4/p0.25MB/total/r1`);

    // Cold vs warm from the emulator's REPORT lines: every rank classified; the first execution starts cold, and
    // reused containers make warm ranks, so Table 1 splits s/batch into cold and warm columns.
    for (const r of runs) expect((r.coldWarm?.cold?.ranks ?? 0) + (r.coldWarm?.warm?.ranks ?? 0)).toBe(6);
    expect(runs[0].coldWarm!.cold!.ranks).toBeGreaterThan(0);
    const t = table1(runs);
    expect(t.rows.map((r) => r.batch_size)).toEqual([4, 8]);
    expect(t.columns.map((c) => c.key)).toEqual(expect.arrayContaining(['cold_spb', 'warm_spb', 'cold_warm_ranks']));
    expect(t.rows[0].throughput_mbps).toBeCloseTo(runs[0].throughputBps / 1e6, 12);

    const imported = await importRecordedRuns(s3Source(clients.s3, aws.bucket, `results/${study.id}`));
    expect(imported.problems).toEqual([]);
    expect(imported.runs.map((r) => [r.sweep, r.batch_size, r.repeat, r.ranks])).toEqual([
      ['batch-size', 4, 1, 6],
      ['batch-size', 8, 1, 6],
    ]);
    expect(imported.runs[0].throughput_bps).toBeCloseTo(runs[0].throughputBps, 6);
    expect(imported.runs[1]['total_cpu_time (seconds)']).toBeCloseTo(runs[1].cpuTimeSeconds, 9);
  });

  it('cancel stops the running execution and leaves the job pending', async () => {
    const study = await createStudy(dataDir, {
      target: 'cloud',
      sweeps: ['batch-size'],
      batchSizes: [16],
      repeats: 1,
      batchSweepDataGb: 'all',
      batchSweepPartitionMb: 0.25,
    });
    const history = new HistoryStore(dataDir);
    const ac = new AbortController();
    const release = aws.faults.holdInvocations();
    try {
      const done = await runStudy(study.id, {
        dataDir,
        signal: ac.signal,
        runCloudJob: smallFixtureJobs(study, history, {
          intervalMs: 50,
          onEvent: (_job, e) => {
            if (e.type === 'status' && (e.snapshot.items?.running ?? 0) > 0) ac.abort();
          },
        }),
      });
      expect(done.jobs[0].status).toBe('pending');
      expect(done.jobs[0].error).toMatch(/^cancelled \(cancelled; the stopped execution is in History as \S+\)/);
    } finally {
      release();
    }
    await aws.settled();
    const stopped = (await history.list()).find(
      (i) => !i.damaged && i.name.endsWith('cloud/batch-size/bs16/p0.25MB/total/r1'),
    );
    expect(stopped).toMatchObject({ kind: 'cloud', status: 'cancelled' });
  });
});
