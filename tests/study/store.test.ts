import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createStudy,
  listStudies,
  loadStudy,
  lockStudy,
  resumeStudy,
  saveStudy,
  studyFile,
  studyMeasurements,
} from '../../study/study-store.ts';
import type { StudyMeasurement } from '../../study/measurement.ts';
import { localMeasurement } from '../support/study-measurement.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'study-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('study store', () => {
  it('creates <dataDir>/studies/<id>/study.json with every job pending', async () => {
    const s = await createStudy(dir, { target: 'local', batchSizes: [32, 64], repeats: 2 }, 'two sizes');
    expect(studyFile(dir, s.id)).toBe(path.join(dir, 'studies', s.id, 'study.json'));
    const back = await loadStudy(dir, s.id);
    expect(back.name).toBe('two sizes');
    expect(back.jobs.map((j) => [j.id, j.status])).toEqual([
      ['local/batch-size/bs32/r1', 'pending'],
      ['local/batch-size/bs32/r2', 'pending'],
      ['local/batch-size/bs64/r1', 'pending'],
      ['local/batch-size/bs64/r2', 'pending'],
    ]);
    // atomic write leaves no temp files behind
    expect(await readdir(path.dirname(studyFile(dir, s.id)))).toEqual(['study.json']);
  });

  it('resumes: running jobs were interrupted and go back to pending; failed ones only on request', async () => {
    const s = await createStudy(dir, { target: 'local', batchSizes: [32, 64, 128], repeats: 1 });
    s.jobs[0].status = 'done';
    s.jobs[1].status = 'running';
    s.jobs[1].attempts = 1;
    s.jobs[2].status = 'failed';
    await saveStudy(dir, s);
    const again = resumeStudy(await loadStudy(dir, s.id));
    expect(again.jobs.map((j) => j.status)).toEqual(['done', 'pending', 'failed']);
    expect(again.jobs[1].error).toMatch(/interrupted at attempt 1/);
    expect(resumeStudy(again, { retryFailed: true }).jobs[2].status).toBe('pending');
  });

  it("keeps each result's precision; a local result saved without one takes the study's localPrecision", async () => {
    const result = (id: string): StudyMeasurement => localMeasurement({ id, sweep: 'batch-size', memoryMb: 100 });
    const s = await createStudy(dir, { target: 'local', batchSizes: [32, 64], repeats: 1, localPrecision: 'int8' });
    s.jobs[0].status = 'done';
    s.jobs[0].result = { ...result('a'), precision: 'fp32' };
    s.jobs[1].status = 'done';
    s.jobs[1].result = result('b'); // as written before measurements carried a precision
    await saveStudy(dir, s);
    expect(studyMeasurements(await loadStudy(dir, s.id)).map((m) => m.precision)).toEqual(['fp32', 'int8']);
    const fp32 = await createStudy(dir, { target: 'local', batchSizes: [32], repeats: 1 });
    fp32.jobs[0].status = 'done';
    fp32.jobs[0].result = result('c');
    expect(studyMeasurements(fp32).map((m) => m.precision)).toEqual(['fp32']);
  });

  it('lists studies and reports damaged files by name', async () => {
    const s = await createStudy(dir, { target: 'local', batchSizes: [32], repeats: 1 });
    await mkdir(path.join(dir, 'studies', 'broken'), { recursive: true });
    await writeFile(path.join(dir, 'studies', 'broken', 'study.json'), '{"schema": "cosmicai.study/1", "jobs": [');
    const list = await listStudies(dir);
    expect(list).toHaveLength(2);
    const broken = list.find((x) => x.id === 'broken')!;
    expect('problem' in broken && broken.problem).toMatch(/broken[/\\]study\.json is not valid JSON/);
    const ok = list.find((x) => x.id === s.id)!;
    expect('counts' in ok && ok.counts).toEqual({ pending: 1, running: 0, done: 0, failed: 0 });
    await expect(loadStudy(dir, 'nope')).rejects.toThrow(/no study "nope"/);
    JSON.parse(await readFile(studyFile(dir, s.id), 'utf8'));
  });

  it('lets one process run a study at a time and takes over a stale lock', async () => {
    const s = await createStudy(dir, { target: 'local', batchSizes: [32], repeats: 1 });
    const release = await lockStudy(dir, s.id);
    await expect(lockStudy(dir, s.id)).rejects.toThrow(/is already running/);
    await release();
    // a lock left by a process that no longer exists (pid 2^22 + 1 is above Linux's pid_max default)
    await writeFile(path.join(dir, 'studies', s.id, 'lock.json'), JSON.stringify({ pid: 4194305 }));
    const again = await lockStudy(dir, s.id);
    await again();
    expect(await readdir(path.join(dir, 'studies', s.id))).toEqual(['study.json']);
  });
});
