/**
 * A cloud study through the app API against the local servers (s3rver + the local Step Functions endpoint running
 * our ASL and Lambda handlers): the study's cloud job stages, runs and lands in History, and Table 1 comes out of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudyProgressEvent } from '../../app/common/contract/index.ts';
import type { NodeServices } from '../../app/node/services/index.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';
import { startLocalAws, type LocalAws } from '../infra/local-aws.ts';
import { localAwsProfileInput, startAppApi, type AppApi } from '../support/app-services.ts';

let aws: LocalAws;
let work: string;
let services: NodeServices;
let call: AppApi['call'];
const progress: StudyProgressEvent[] = [];

beforeAll(async () => {
  aws = await startLocalAws();
  work = await mkdtemp(path.join(os.tmpdir(), 'app-study-cloud-'));
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
  await aws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a cloud study through the app API', () => {
  it('runs its cloud job on the profile state machine, saves it in History and gives Table 1', async () => {
    // small-64.pt in 0.25 MB partitions, all of it ("total"), batch 16, once.
    const { id } = await call('study.create', {
      name: 'cloud study',
      params: {
        target: 'cloud',
        sweeps: ['batch-size'],
        batchSizes: [16],
        repeats: 1,
        batchSweepDataGb: 'all',
        batchSweepPartitionMb: 0.25,
        localData: [path.join(FIXTURES_DIR, 'small-64.pt')],
      },
    });
    const end = await new Promise<StudyProgressEvent>((resolve) => {
      const t = setInterval(() => {
        const e = progress.find((p) => p.studyId === id && ['finished', 'cancelled', 'error'].includes(p.event));
        if (e) {
          clearInterval(t);
          resolve(e);
        }
      }, 100);
    });
    const { study } = await call('study.get', { id });
    expect(end.event, JSON.stringify(study.jobs)).toBe('finished');
    expect(study.jobs).toHaveLength(1);
    expect(study.jobs[0]).toMatchObject({ id: 'cloud/batch-size/bs16/p0.25MB/total/r1', status: 'done' });
    expect(progress.some((p) => p.studyId === id && p.message.includes('execution started'))).toBe(true);

    const { entry } = await call('history.get', { id: study.jobs[0].runId });
    expect(entry).toMatchObject({ kind: 'cloud', status: 'completed' });
    const res = await call('study.results', { selection: { study: id } });
    const t1 = res.tables.find((t: { title: string }) => t.title.startsWith('Table 1'));
    expect(t1.rows).toHaveLength(1);
    expect(t1.rows[0].batch_size).toBe(16);
    expect(t1.rows[0].throughput_mbps).toBeGreaterThan(0);
  }, 300_000);
});
