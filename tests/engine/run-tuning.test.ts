/**
 * Host tuning (issue 21 item 2): the calibration's choice logic with an injected measurement (no timing), the cache's
 * keying and invalidation, the record carrying the choice, and a real run that takes its settings from the cache.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalRunRecordSchema, METRIC_DEFINITIONS } from '../../base/local-run-record.ts';
import type { TuneSettings, TuningRecord, TuningResult } from '../../base/tuning-record.ts';
import { calibrate, pickCandidate, tunePlan, type TuneSample } from '../../engine/run/host-tuning.ts';
import { hostInfo } from '../../engine/run/host-info.ts';
import { buildRecord } from '../../engine/run/record-builder.ts';
import { runLocal, LocalRunError } from '../../engine/run/local-run.ts';
import {
  MAX_AGE_DAYS,
  fileSha256,
  readTuning,
  tuningFile,
  tuningKey,
  writeTuning,
  type TuningKeyParts,
} from '../../engine/run/tuning-cache.ts';
import { FIXTURES, referenceModel } from '../support/engine-run-helpers.ts';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BUSY_HOST_CORES, busyHostReason, otherBusyCores, parseProcStat } from '../../engine/run/host-busy.ts';
import { tuningLines } from '../../base/tuning-lines.ts';

const key = (s: TuneSettings) => `${s.threads}/${s.slice}/${s.spinning ? 'spin' : 'nospin'}`;

/** A fake host: wall and CPU seconds per settings, optionally varying per call (noise, load). */
function fakeHost(table: Record<string, [number, number]>, jitter: (call: number) => number = () => 1) {
  const calls: string[] = [];
  return {
    calls,
    async measure(s: TuneSettings): Promise<TuneSample> {
      const k = key(s);
      const v = table[k];
      if (!v) throw new Error(`unexpected candidate ${k}`);
      calls.push(k);
      const f = jitter(calls.length);
      return { wallSeconds: v[0] * f, cpuSeconds: v[1] * f };
    },
  };
}

const PLAN = tunePlan({ physicalCores: 2, fixedThreads: null, fixedSpinning: null, defaultSlice: 16, galaxies: 64 });

describe('host tuning: the plan', () => {
  it('tries threads 1..physical cores, slices up to the calibration batch, spinning unless fixed', () => {
    expect(PLAN).toEqual({
      base: { threads: 2, slice: 16, spinning: false },
      threads: [1, 2],
      slices: [8, 16, 32, 64],
      tuneSpinning: true,
      galaxies: 64,
    });
    const fixed = tunePlan({ physicalCores: 4, fixedThreads: 3, fixedSpinning: true, defaultSlice: 16, galaxies: 20 });
    expect(fixed).toMatchObject({ base: { threads: 3, slice: 16, spinning: true }, threads: [3], slices: [8, 16] });
    expect(fixed.tuneSpinning).toBe(false);
    expect(
      tunePlan({ physicalCores: 1, fixedThreads: null, fixedSpinning: null, defaultSlice: 16, galaxies: 4 }),
    ).toMatchObject({
      base: { threads: 1, slice: 4 },
      slices: [4],
    });
  });
});

describe('host tuning: the choice', () => {
  it('picks the fastest threads, then slice, then spinning, interleaving candidates round by round', async () => {
    const host = fakeHost({
      '1/16/nospin': [1.0, 1.0],
      '2/16/nospin': [0.6, 1.2],
      '2/8/nospin': [0.62, 1.2],
      '2/32/nospin': [0.5, 1.1],
      '2/64/nospin': [0.55, 1.1],
      '2/32/spin': [0.4, 1.6],
    });
    const released: string[] = [];
    const r = await calibrate(PLAN, { measure: host.measure, stageDone: async (s) => void released.push(key(s)) });
    expect(r.settings).toEqual({ threads: 2, slice: 32, spinning: true });
    expect(r.stages.map((s) => s.name)).toEqual(['threads', 'slice', 'spinning', 'confirm']);
    expect(released).toEqual(['2/16/nospin', '2/32/nospin', '2/32/spin', '2/32/spin']);
    // 3 rounds of each stage's candidates, the start rotating: round 2 begins with the second candidate.
    expect(host.calls.slice(0, 6)).toEqual([
      '1/16/nospin',
      '2/16/nospin',
      '2/16/nospin',
      '1/16/nospin',
      '1/16/nospin',
      '2/16/nospin',
    ]);
    // Then the choice against the untuned settings, head to head, 7 rounds (2 × 3 + 1).
    expect(host.calls).toHaveLength(3 * 2 + 3 * 4 + 3 * 2 + 7 * 2);
    expect(host.calls.slice(-2)).toEqual(['2/16/nospin', '2/32/spin']);
    expect(r.stages[3].reason).toMatch(
      /^2 thread\(s\), slice 32, spinning on 6\.25 ms\/galaxy .* beats 2 thread\(s\), slice 16, spinning off 9\.38/,
    );
    const slice = r.stages[1];
    expect(slice.candidates.map((c) => c.wallMsPerGalaxy)).toEqual([0.62, 0.6, 0.5, 0.55].map((s) => (1000 * s) / 64));
    expect(slice.reason).toMatch(/slice 32 7\.81 ms\/galaxy .* beats slice 16 9\.38 ms\/galaxy .* by 16\.7%/);
    // Spinning costs CPU: (1.6 - 1.1) s over 64 galaxies = 7.8125 ms per galaxy, recorded.
    expect(r.spinOverheadCpuMsPerGalaxy).toBeCloseTo((1000 * 0.5) / 64, 9);
    expect(r).toMatchObject({ galaxies: 64, rounds: 3 });
  });

  it('keeps the defaults when a candidate is faster only within the margin (spinning needs 5%)', async () => {
    const host = fakeHost({
      '1/16/nospin': [0.99, 0.99],
      '2/16/nospin': [1.0, 1.1],
      '2/8/nospin': [0.98, 1.1],
      '2/32/nospin': [1.2, 1.1],
      '2/64/nospin': [1.3, 1.1],
      '2/16/spin': [0.96, 1.5],
    });
    const r = await calibrate(PLAN, { measure: host.measure });
    expect(r.settings).toEqual({ threads: 2, slice: 16, spinning: false });
    expect(r.stages[0].reason).toMatch(/^kept 2 thread\(s\).*only 1\.0% faster \(≤ 3%\)/);
    expect(r.stages[2].reason).toMatch(/^kept spinning off.*only 4\.0% faster \(≤ 5%\)/);
    expect(r.spinOverheadCpuMsPerGalaxy).toBeCloseTo((1000 * 0.4) / 64, 9); // measured even when not chosen
  });

  it('takes the best of the rounds, so one slow (disturbed) run does not decide', async () => {
    // Every third call is 3× slower (another process took the core): the best of 3 still sees each at its speed.
    const host = fakeHost(
      {
        '1/16/nospin': [1.0, 1.0],
        '2/16/nospin': [0.6, 1.2],
        '2/8/nospin': [0.7, 1.2],
        '2/32/nospin': [0.7, 1.2],
        '2/64/nospin': [0.7, 1.2],
        '2/16/spin': [0.7, 1.9],
      },
      (call) => (call % 3 === 0 ? 3 : 1),
    );
    const r = await calibrate(PLAN, { measure: host.measure });
    expect(r.settings).toEqual({ threads: 2, slice: 16, spinning: false });
    expect(r.stages[0].candidates.map((c) => c.wallMsPerGalaxy)).toEqual([1000 / 64, 600 / 64]);
  });

  it('does not tune what the user fixed', async () => {
    const plan = tunePlan({ physicalCores: 2, fixedThreads: 1, fixedSpinning: false, defaultSlice: 16, galaxies: 16 });
    const host = fakeHost({ '1/8/nospin': [0.5, 0.5], '1/16/nospin': [1, 1] });
    const r = await calibrate(plan, { measure: host.measure });
    expect(r.settings).toEqual({ threads: 1, slice: 8, spinning: false });
    expect(r.stages.map((s) => s.name)).toEqual(['slice', 'confirm']);
    expect(r.stages[1].candidates.map((c) => c.settings)).toEqual([
      { threads: 1, slice: 16, spinning: false },
      { threads: 1, slice: 8, spinning: false },
    ]);
    expect(r.spinOverheadCpuMsPerGalaxy).toBeNull();
  });

  it('keeps the defaults when the gain is within the noise between repeats of the same settings', async () => {
    // Repeats of every setting differ by 10% (calls alternate ×1.0, ×1.1, ×1.0, …); slice 32 is 5% faster: more than
    // the 3% margin, less than the 10% noise.
    const host = fakeHost(
      {
        '1/16/nospin': [2.0, 2.0],
        '2/16/nospin': [1.0, 1.2],
        '2/8/nospin': [1.2, 1.2],
        '2/32/nospin': [0.95, 1.2],
        '2/64/nospin': [1.2, 1.2],
        '2/16/spin': [1.2, 1.5],
      },
      (call) => (call % 2 === 0 ? 1.1 : 1),
    );
    const r = await calibrate(PLAN, { measure: host.measure });
    expect(r.settings).toEqual({ threads: 2, slice: 16, spinning: false });
    const slice = r.stages[1];
    expect(slice.reason).toMatch(/^kept slice 16 .*: slice 32 .* is only 5\.0% faster \(≤ 10\.0%, the noise between/);
    const s16 = slice.candidates.find((c) => c.settings.slice === 16)!;
    expect(s16.wallMsPerGalaxy).toBeCloseTo(1000 / 64, 9);
    expect(s16.wallMsPerGalaxyMedian).toBeCloseTo(1100 / 64, 9);
    expect(r.stages.map((s) => s.name)).toEqual(['threads', 'slice', 'spinning']); // nothing changed: no confirm
  });

  it('reverts to the defaults when the choice does not win again head to head', async () => {
    // Slice 32 looks 20% faster while the slice stage runs (calls 7–18: a lucky stretch), then is equal.
    let calls = 0;
    const measure = async (s: TuneSettings): Promise<TuneSample> => {
      calls++;
      const wall = s.threads === 1 ? 2 : s.slice === 32 && calls >= 7 && calls <= 18 ? 0.8 : 1;
      return { wallSeconds: wall, cpuSeconds: 1.2 };
    };
    const r = await calibrate(PLAN, { measure });
    expect(r.stages.map((s) => s.name)).toEqual(['threads', 'slice', 'spinning', 'confirm']);
    expect(r.stages[1].candidates[r.stages[1].chosen].settings.slice).toBe(32);
    expect(r.settings).toEqual(PLAN.base);
    expect(r.stages[3].reason).toMatch(/^2 thread\(s\), slice 16, spinning off 15\.63 ms\/galaxy .* is the fastest/);
  });

  it('pickCandidate keeps the incumbent when it is the fastest', () => {
    const c = (threads: number, wall: number) => ({
      settings: { threads, slice: 16, spinning: false },
      wallMsPerGalaxy: wall,
      cpuMsPerGalaxy: wall,
    });
    const st = pickCandidate('threads', [c(1, 5), c(2, 3)], { threads: 2, slice: 16, spinning: false }, 0.03);
    expect(st).toMatchObject({ chosen: 1, reason: '2 thread(s) 3.00 ms/galaxy (CPU 3.00) is the fastest' });
  });
});

const PARTS: TuningKeyParts = {
  cpuModel: 'AMD EPYC',
  cpuFlags: ['avx2', 'fma'],
  logicalCores: 2,
  physicalCores: 2,
  onnxruntime: '1.30.0',
  modelSha256: 'a'.repeat(64),
  precision: 'fp32',
  graphOptimization: 'all',
  fixedThreads: null,
  fixedSpinning: null,
  calibrationGalaxies: 64,
};
const RESULT: TuningResult = {
  settings: { threads: 2, slice: 32, spinning: true },
  stages: [],
  galaxies: 64,
  rounds: 3,
  calibrationSeconds: 4.2,
  spinOverheadCpuMsPerGalaxy: 0.5,
};

describe('host tuning: the cache', () => {
  it('keys on every part (host, onnxruntime, model bytes, precision, constraints), flags in any order', () => {
    const k = tuningKey(PARTS);
    expect(k).toMatch(/^[0-9a-f]{16}$/);
    expect(tuningKey({ ...PARTS, cpuFlags: ['fma', 'avx2'] })).toBe(k);
    const changes: Array<Partial<TuningKeyParts>> = [
      { cpuModel: 'Intel Xeon' },
      { cpuFlags: ['avx2', 'fma', 'avx512_vnni'] },
      { logicalCores: 4 },
      { physicalCores: 1 },
      { onnxruntime: '1.31.0' },
      { modelSha256: 'b'.repeat(64) },
      { precision: 'int8' },
      { graphOptimization: 'basic' },
      { fixedThreads: 1 },
      { fixedSpinning: false },
      { calibrationGalaxies: 32 },
    ];
    for (const c of changes) expect(tuningKey({ ...PARTS, ...c }), JSON.stringify(c)).not.toBe(k);
  });

  it('reads back what was written; misses when absent, damaged, of another version or key, or too old', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-tuning-'));
    expect(await readTuning(dir, PARTS)).toEqual({ miss: 'absent' });
    const at = new Date('2026-12-01T00:00:00Z');
    const entry = await writeTuning(dir, PARTS, RESULT, at);
    const file = tuningFile(dir, tuningKey(PARTS));
    expect(await readTuning(dir, PARTS, new Date('2026-12-02T00:00:00Z'))).toEqual({ entry });
    expect(entry.result).toEqual(RESULT);
    // Another model's bytes: another key, another file.
    expect(await readTuning(dir, { ...PARTS, modelSha256: 'c'.repeat(64) })).toEqual({ miss: 'absent' });
    // Too old, or from the future (a clock set back): recalibrate.
    const late = new Date(at.getTime() + (MAX_AGE_DAYS + 1) * 86_400_000);
    expect(await readTuning(dir, PARTS, late)).toEqual({ miss: 'expired' });
    expect(await readTuning(dir, PARTS, new Date('2026-11-30T00:00:00Z'))).toEqual({ miss: 'expired' });

    const good = readFileSync(file, 'utf8');
    const json = JSON.parse(good) as { tunerVersion: number; parts: TuningKeyParts; result: unknown };
    writeFileSync(file, JSON.stringify({ ...json, tunerVersion: 0 }));
    expect(await readTuning(dir, PARTS, at)).toEqual({ miss: 'other-version' });
    writeFileSync(file, JSON.stringify({ ...json, parts: { ...json.parts, precision: 'int8' } }));
    expect(await readTuning(dir, PARTS, at)).toEqual({ miss: 'other-key' });
    writeFileSync(file, JSON.stringify({ ...json, result: { settings: { threads: 0 } } }));
    expect(await readTuning(dir, PARTS, at)).toEqual({ miss: 'unreadable' });
    writeFileSync(file, good.slice(0, 40));
    expect(await readTuning(dir, PARTS, at)).toEqual({ miss: 'unreadable' });
  });

  it('hashes a file by its bytes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-tuning-'));
    writeFileSync(path.join(dir, 'm'), 'abc');
    expect(await fileSha256(path.join(dir, 'm'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

const TUNING: TuningRecord = {
  mode: 'auto',
  source: 'cache',
  key: '0123456789abcdef',
  calibratedAt: '2026-12-01T00:00:00.000Z',
  fixed: { threads: null, spinning: null },
  result: RESULT,
  spinOverheadCpuSeconds: null,
};

const recordInputs = (tuning?: TuningRecord) => ({
  started: new Date('2026-12-06T00:00:00Z'),
  wallSeconds: 2,
  status: 'completed' as const,
  error: null,
  sessionSeconds: 0.5,
  sessionRss: 100,
  valid: { batchSize: 32, threads: 1, graphOptimization: 'all' as const, precision: 'fp32' as const, spinning: false },
  model: { path: '/m.onnx', label: 'm', reference: true, parameters: 10, flopsPerSample: 20 },
  dataset: { spec: ['/d'], files: ['/d/1.pt'], samples: 100, bytes: 1, synthetic: true },
  partitions: [
    {
      partition: 1,
      path: '/d/1.pt',
      status: 'completed' as const,
      samplesInFile: 100,
      samples: 100,
      batches: 4,
      inferenceSeconds: 1,
      loadSeconds: 0.1,
      cpuSeconds: 2,
      peakRssBytes: 200,
      batchMs: [250, 250, 250, 250],
      nanInputs: 0,
      infInputs: 0,
      error: null,
    },
  ],
  accuracy: null,
  tuning,
});

describe('host tuning: how busy the rest of the host was', () => {
  const STAT = (user: number, idle: number) =>
    `cpu  ${user} 0 ${user / 4} ${idle} 10 0 5 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1 2\n`;

  it('reads the aggregate cpu line: busy = user + nice + system + irq + softirq + steal; total adds idle, iowait', () => {
    expect(parseProcStat(STAT(400, 1000))).toEqual({ busy: 400 + 100 + 5, total: 505 + 1000 + 10 });
    expect(parseProcStat('cpu  1 2 3 4 5 6 7 8 9 10')).toEqual({ busy: 1 + 2 + 3 + 6 + 7 + 8, total: 27 + 4 + 5 });
    expect(parseProcStat('cpu0 1 2 3 4')).toBeNull(); // no aggregate line
    expect(parseProcStat('cpu  1 x 3 4')).toBeNull();
    expect(parseProcStat('cpu  1 2')).toBeNull();
  });

  it("is all cores' busy share minus this process's CPU per wall second, in cores", () => {
    // 2 cores over 2 s: 400 jiffies in all, 300 busy = 1.5 cores busy; this process used 1.0 CPU-s = 0.5 core.
    const before = { busy: 1000, total: 5000 };
    const after = { busy: 1300, total: 5400 };
    expect(otherBusyCores({ before, after, logicalCores: 2, ownCpuSeconds: 1, wallSeconds: 2 })).toBeCloseTo(1, 12);
    // This process alone: nobody else.
    expect(otherBusyCores({ before, after, logicalCores: 2, ownCpuSeconds: 3.2, wallSeconds: 2 })).toBe(0);
    expect(otherBusyCores({ before: null, after, logicalCores: 2, ownCpuSeconds: 1, wallSeconds: 2 })).toBeNull();
    expect(otherBusyCores({ before, after: before, logicalCores: 2, ownCpuSeconds: 1, wallSeconds: 2 })).toBeNull();
    expect(otherBusyCores({ before, after, logicalCores: 2, ownCpuSeconds: 1, wallSeconds: 0 })).toBeNull();
  });

  it(`caches a calibration only when others used at most ${BUSY_HOST_CORES} cores, or the load is unknown`, () => {
    expect(busyHostReason(null, 2)).toBeNull();
    expect(busyHostReason(BUSY_HOST_CORES, 2)).toBeNull();
    expect(busyHostReason(0.95, 2)).toBe(
      'other processes kept 0.95 of 2 cores busy during the calibration (> 0.3): its choice fits that load, so the ' +
        'next run calibrates again',
    );
  });
});

describe('host tuning: the run record', () => {
  it('carries the choice, runs with its settings and states the spinning overhead with its definition', () => {
    const rec = buildRecord(recordInputs(TUNING));
    expect(LocalRunRecordSchema.parse(rec)).toEqual(rec);
    expect(rec.options).toMatchObject({ threads: 2, spinning: true, galaxiesPerSessionRun: 32 });
    // 0.5 CPU-ms per galaxy spinning × 100 galaxies = 0.05 s of the 2 s total_cpu_time.
    expect(rec.tuning).toEqual({ ...TUNING, spinOverheadCpuSeconds: 0.05 });
    expect(rec['total_cpu_time (seconds)']).toBe(2); // the process's CPU, spinning included, unchanged
    expect(rec.metricDefinitions.tuning).toBe(METRIC_DEFINITIONS.tuning);
    expect(METRIC_DEFINITIONS.spinOverheadCpuSeconds).toMatch(/spinning on - with it off/);
    expect(tuningLines(rec)).toEqual([
      'tuned  from the cache (calibrated 2026-12-01T00:00:00.000Z): 2 thread(s) · 32 galaxies per session run · ' +
        'spinning on (best of 3 on a 64-galaxy batch)',
      '       spinning: about 0.05 s of total_cpu_time is idle spinning (0.50 CPU-ms per galaxy measured in the ' +
        'calibration)',
    ]);
  });

  it('has no overhead when spinning is off, and no tuning block when tuning is off', () => {
    const off = { ...TUNING, result: { ...RESULT, settings: { threads: 1, slice: 8, spinning: false } } };
    expect(buildRecord(recordInputs(off)).tuning?.spinOverheadCpuSeconds).toBeNull();
    const plain = buildRecord(recordInputs());
    expect(plain.tuning).toBeUndefined();
    expect(plain.options).toEqual({
      batchSize: 32,
      threads: 1,
      interOpThreads: 1,
      graphOptimization: 'all',
      executionMode: 'sequential',
      spinning: false,
    });
  });
});

describe('host tuning: a real run', () => {
  it('takes threads, slice and spinning from a valid cache entry and records them', async () => {
    const model = await referenceModel();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-tuning-run-'));
    const host = hostInfo();
    const parts: TuningKeyParts = {
      cpuModel: host.cpuModel,
      cpuFlags: host.cpuFlags,
      logicalCores: host.logicalCores,
      physicalCores: host.physicalCores,
      onnxruntime: host.onnxruntime,
      modelSha256: await fileSha256(model),
      precision: 'fp32',
      graphOptimization: 'all',
      fixedThreads: 1,
      fixedSpinning: null,
      calibrationGalaxies: 8,
    };
    // A slice no default would give (3): if the run used it, the record says so and the predictions are unchanged.
    const result: TuningResult = { ...RESULT, settings: { threads: 1, slice: 3, spinning: false }, galaxies: 8 };
    await writeTuning(path.join(dataDir, 'tuning'), parts, result);
    const tiny = path.join(FIXTURES, 'tiny-8.pt');
    const tuned = await runLocal({ model, data: tiny, threads: 1, batchSize: 8, tune: 'auto', dataDir });
    expect(tuned.record.tuning).toMatchObject({ mode: 'auto', source: 'cache', key: tuningKey(parts), result });
    expect(tuned.record.options).toMatchObject({ threads: 1, spinning: false, galaxiesPerSessionRun: 3 });
    const plain = await runLocal({ model, data: tiny, threads: 1, batchSize: 8, dataDir });
    expect(plain.record.tuning).toBeUndefined();
    expect(Array.from(tuned.table.zPred)).toEqual(Array.from(plain.table.zPred));
  });

  it('uses but does not cache a calibration made while other processes held the CPU', async () => {
    if (!existsSync('/proc/stat')) {
      console.log('skipped: no /proc/stat on this host (the busy check is Linux-only; elsewhere it is unknown)');
      return;
    }
    const model = await referenceModel();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cosmicai-tuning-busy-'));
    // One busy loop per logical core: whatever the scheduler does, others hold well over BUSY_HOST_CORES.
    const hogs = Array.from({ length: os.cpus().length }, () =>
      spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
    );
    try {
      const tiny = path.join(FIXTURES, 'tiny-8.pt');
      const { record } = await runLocal({ model, data: tiny, threads: 1, batchSize: 8, tune: 'auto', dataDir });
      const t = record.tuning!;
      expect(t.source).toBe('calibrated');
      expect(t.result.otherBusyCores).toBeGreaterThan(BUSY_HOST_CORES);
      expect(t.notCached).toMatch(/^other processes kept \d+\.\d\d of \d+ cores busy during the calibration/);
      expect(existsSync(tuningFile(path.join(dataDir, 'tuning'), t.key))).toBe(false);
      expect(tuningLines(record).at(-1)).toBe(`       not cached: ${t.notCached}`);
    } finally {
      for (const h of hogs) h.kill('SIGKILL');
    }
  }, 120_000);

  it('rejects an unknown tune mode with a typed error', async () => {
    await expect(runLocal({ tune: 'fast' as never })).rejects.toThrow(LocalRunError);
    await expect(runLocal({ tune: 'fast' as never })).rejects.toThrow(/tune must be one of auto, off/);
  });
});
