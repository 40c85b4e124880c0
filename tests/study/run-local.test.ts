import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStudy, type StudyProgress } from '../../study/run-study.ts';
import { createStudy, loadStudy, studyMeasurements } from '../../study/study-store.ts';
import { table1 } from '../../study/tables.ts';
import { studyCharts } from '../../study/charts.ts';
import { chartSvg } from '../../base/svg-chart.ts';

const fixture = path.resolve('tests/fixtures/small-64.pt');
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'study-run-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('a local sweep end to end', () => {
  it('runs 2 batch sizes × 1 repeat on small-64.pt and produces Table 1', async () => {
    const study = await createStudy(dataDir, {
      target: 'local',
      batchSizes: [16, 32],
      repeats: 1,
      localData: [fixture],
      localThreads: 1,
    });
    const events: StudyProgress[] = [];
    const saved: string[] = [];
    const done = await runStudy(study.id, {
      dataDir,
      onProgress: (p) => events.push(p),
      saveRecord: async (result) => {
        saved.push(result.record.id);
        return `history-${result.record.batch_size}`;
      },
    });
    expect(done.jobs.map((j) => [j.id, j.status, j.runId])).toEqual([
      ['local/batch-size/bs16/r1', 'done', 'history-16'],
      ['local/batch-size/bs32/r1', 'done', 'history-32'],
    ]);
    expect(saved).toHaveLength(2);
    expect(events.filter((e) => e.event === 'job-start')).toHaveLength(2);
    expect(events.some((e) => e.event === 'job-progress' && e.local?.phase === 'inferring')).toBe(true);
    expect(events.at(-1)!.event).toBe('finished');
    expect(events.at(-1)!.message).toBe('2 done, 0 failed');

    // The queue on disk agrees, and its results make Table 1.
    const onDisk = await loadStudy(dataDir, study.id);
    const runs = studyMeasurements(onDisk);
    expect(runs.map((r) => r.batchSize)).toEqual([16, 32]);
    for (const r of runs) {
      // 64 galaxies: 4 batches of 16, 2 of 32
      expect(r.secondsPerBatch).toBeGreaterThan(0);
      expect(r.throughputBps).toBeGreaterThan(0);
      expect(r.samplesPerSec).toBeGreaterThan(0);
    }
    const t = table1(runs);
    expect(t.rows.map((row) => row.batch_size)).toEqual([16, 32]);
    expect(t.rows[0].seconds_per_batch).toBeCloseTo(runs[0].secondsPerBatch, 12);
    expect(t.rows[1].throughput_mbps).toBeCloseTo(runs[1].throughputBps / 1e6, 12);
    expect(t.rows[0].memory_gb).toBeCloseTo(runs[0].memoryMb / 1024, 12);
    expect(t.rows[0].seconds_per_batch_sd).toBeNull();

    // ... and its charts: time and throughput against batch size, one local line each.
    const charts = studyCharts(runs);
    expect(charts.map((c) => c.id)).toEqual(['time-vs-batch', 'throughput-vs-batch']);
    expect(charts[0].series.map((s) => s.label)).toEqual(['local']);
    expect(charts[0].series[0].points.map((p) => [p.x, p.y])).toEqual([
      [16, runs[0].secondsPerBatch],
      [32, runs[1].secondsPerBatch],
    ]);
    expect(chartSvg(charts[1])).toContain('Throughput (Mbps)');
  });

  it('runs the local jobs at the precision the sweep chose', async () => {
    const study = await createStudy(dataDir, {
      target: 'local',
      batchSizes: [8],
      repeats: 1,
      localData: [path.resolve('tests/fixtures/tiny-8.pt')],
      localThreads: 1,
      localPrecision: 'int8',
    });
    const precisions: string[] = [];
    const done = await runStudy(study.id, {
      dataDir,
      saveRecord: async (result) => {
        precisions.push(result.record.model.precision);
        return 'history-int8';
      },
    });
    expect(done.jobs.map((j) => j.status)).toEqual(['done']);
    expect(precisions).toEqual(['int8']);
  });

  it('cancel leaves the current job pending, and the next run resumes it', async () => {
    const study = await createStudy(dataDir, {
      target: 'local',
      batchSizes: [8, 64],
      repeats: 1,
      localData: [fixture],
      localThreads: 1,
    });
    const ac = new AbortController();
    const first = await runStudy(study.id, {
      dataDir,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.event === 'job-progress' && p.local?.phase === 'inferring') ac.abort();
      },
    });
    expect(first.jobs.map((j) => j.status)).toEqual(['pending', 'pending']);
    expect(first.jobs[0].attempts).toBe(1);
    expect(first.jobs[0].error).toMatch(/cancelled/);

    const second = await runStudy(study.id, { dataDir });
    expect(second.jobs.map((j) => [j.status, j.attempts])).toEqual([
      ['done', 2],
      ['done', 1],
    ]);
  });

  it('a job whose data is missing fails with the reason, and the others still run', async () => {
    const study = await createStudy(dataDir, {
      target: 'local',
      batchSizes: [32],
      repeats: 1,
      localData: [path.join(dataDir, 'missing.pt')],
    });
    const done = await runStudy(study.id, { dataDir });
    expect(done.jobs[0].status).toBe('failed');
    expect(done.jobs[0].error).toMatch(/missing\.pt/);
  });

  it('cloud jobs wait without a cloud runner, and run through one when given', async () => {
    const study = await createStudy(dataDir, {
      target: 'cloud',
      sweeps: ['batch-size'],
      batchSizes: [32, 64],
      repeats: 1,
    });
    const events: StudyProgress[] = [];
    const waiting = await runStudy(study.id, { dataDir, onProgress: (p) => events.push(p) });
    expect(waiting.jobs.map((j) => j.status)).toEqual(['pending', 'pending']);
    expect(events.at(-1)!.message).toBe('0 done, 0 failed, 2 cloud job(s) waiting for the cloud runner');

    const ran = await runStudy(study.id, {
      dataDir,
      runCloudJob: async (job) => {
        if (job.batchSize === 64) throw new Error('AccessDenied on s3://bucket');
        return {
          runId: 'cloud-1',
          measurement: {
            id: job.id,
            target: 'cloud',
            sweep: job.sweep,
            batchSize: job.batchSize,
            partitionMb: job.partitionMb,
            dataLabel: job.dataLabel,
            repeat: job.repeat,
            ranks: 3,
            secondsPerBatch: 1,
            throughputBps: 1e6,
            memoryMb: 300,
            cpuTimeSeconds: 2,
            samplesPerSec: 10,
            totalBits: 2e6,
            rankSecondsTotal: 6,
            rankSecondsSource: 'cpu-time',
          },
        };
      },
    });
    expect(ran.jobs.map((j) => [j.id, j.status, j.error])).toEqual([
      ['cloud/batch-size/bs32/p25MB/1GB/r1', 'done', null],
      ['cloud/batch-size/bs64/p25MB/1GB/r1', 'failed', 'AccessDenied on s3://bucket'],
    ]);
  });
});
