/**
 * The recommendation from real runs: the same cloud job (small-64.pt in 0.25 MB partitions, batch 16, our handlers
 * on the local Step Functions endpoint) run once at each of three function memory sizes. The Memory Size comes from
 * the REPORT lines (the profile says 3008 MB), the execution's wall time from its start and stop, and each size's
 * cost is checked against the runs' own REPORT lines priced here by hand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../app/node/history-store.ts';
import type { CloudRunRecord } from '../../base/cloud-run-record.ts';
import { makeClients } from '../../cloud/aws-clients.ts';
import { cloudJobRunner } from '../../study/cloud-job.ts';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { recommendMemory } from '../../study/recommend.ts';
import { runStudy } from '../../study/run-study.ts';
import { createStudy, loadStudy, studyMeasurements } from '../../study/study-store.ts';
import { TestCipher } from '../support/cloud-helpers.ts';
import { writeTinyCodeDir } from '../support/cloud-tiny-model.ts';
import { startLocalAws } from '../infra/local-aws.ts';
import { localAwsStoredProfile } from '../support/local-aws-profile.ts';
import { FIXTURES_DIR } from '../infra/stage-fixtures.ts';

const SIZES = [1024, 2048, 4096];
let work: string;
const runs: StudyMeasurement[] = [];
const records: CloudRunRecord[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'recommend-emulated-'));
  const dataDir = path.join(work, 'data-dir');
  const codeDir = await writeTinyCodeDir(work);
  const history = new HistoryStore(dataDir);
  const cipher = new TestCipher();
  for (const memoryMb of SIZES) {
    const aws = await startLocalAws({ memoryMb });
    const clients = makeClients(localAwsStoredProfile(cipher, aws, { lambdaMemoryMb: 3008 }), {
      cipher,
      maxAttempts: 4,
    });
    try {
      const study = await createStudy(dataDir, {
        target: 'cloud',
        sweeps: ['batch-size'],
        batchSizes: [16],
        repeats: 1,
        batchSweepDataGb: 'all',
        batchSweepPartitionMb: 0.25,
      });
      const done = await runStudy(study.id, {
        dataDir,
        runCloudJob: cloudJobRunner({
          clients,
          dataDir,
          studyId: study.id,
          studyName: study.name,
          history,
          code: { dir: codeDir },
          dataset: path.join(FIXTURES_DIR, 'small-64.pt'),
          intervalMs: 100,
        }),
      });
      expect(done.jobs.map((j) => [j.status, j.error])).toEqual([['done', null]]);
      // As the app reads a study: from its file.
      runs.push(...studyMeasurements(await loadStudy(dataDir, study.id)));
      const { entry } = await history.get(done.jobs[0].runId!);
      records.push(entry.record as CloudRunRecord);
    } finally {
      clients.destroy();
      await aws.close();
    }
  }
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the recommendation from emulated runs at 1024, 2048 and 4096 MB', () => {
  it('groups the three runs by the memory their REPORT lines state, priced from those lines', () => {
    expect(runs.map((m) => m.lambdaMemoryMb)).toEqual(SIZES);
    for (const m of runs) expect(m.executionSeconds).toBeGreaterThan(0);
    const rec = recommendMemory(runs);
    expect(rec.excluded).toEqual([]);
    expect(rec.groups).toHaveLength(1);
    const g = rec.groups[0];
    expect(g.sizes.map((s) => s.memoryMb)).toEqual(SIZES);
    // The study store keeps where the memory came from: nothing here is "assumed".
    expect(g.sizes.map((s) => s.memoryAssumed)).toEqual([false, false, false]);
    expect(g.notes.join(' ')).not.toContain('assumed');
    // By hand, from each record's REPORT lines: Σ billed ms ÷ 1000 × GB × $0.0000166667 + ranks × $0.0000002.
    const hand = records.map((r) => {
      const lines = r.lambda_per_rank!;
      expect(lines.every((l) => l.memorySizeMb === lines[0].memorySizeMb)).toBe(true);
      const billedS = lines.reduce((a, l) => a + l.billedDurationMs, 0) / 1000;
      return billedS * (lines[0].memorySizeMb / 1024) * 0.0000166667 + r.ranks * 0.0000002;
    });
    g.sizes.forEach((s, i) => expect(s.costUsd).toBeCloseTo(hand[i], 15));
    const cheapest = SIZES[hand.indexOf(Math.min(...hand))];
    expect(g.picks.cost.memoryMb).toBe(cheapest);
    const durations = runs.map((m) => m.rankSecondsTotal / m.ranks);
    expect(g.picks.speed.memoryMb).toBe(SIZES[durations.indexOf(Math.min(...durations))]);
    expect(recommendMemory(runs, { weight: 1 }).groups[0].picks.balanced.memoryMb).toBe(cheapest);
  });
});
