/**
 * Host tuning inside the inference worker (`tune: 'auto'`): find this host's calibration for this model in the
 * cache, or calibrate now with real onnxruntime sessions of the model being run (engine/run/host-tuning.ts) and
 * cache it. Runs on the worker thread, so the model hash and the calibration never block the caller's event loop.
 *
 * The calibration batch is synthetic (seeded uniform values in the model's input shapes): the kernels' speed does
 * not depend on the values, and the run's data is not opened before the run starts.
 */
import * as ort from 'onnxruntime-node';
import type { GraphOptimization } from '../../base/options.ts';
import type { TuneSettings, TuningRecord } from '../../base/tuning-record.ts';
import { IMAGE_VALUES_PER_SAMPLE as IMAGE_VALUES, MAGNITUDES_PER_SAMPLE as MAGNITUDES } from '../data/types.ts';
import type { ModelInfo } from '../model/model-info.ts';
import { Prng } from '../prng.ts';
import { GALAXIES_PER_SESSION_RUN, engineSessionOptions, predictBatch } from './engine-session.ts';
import { hostInfo } from './host-info.ts';
import { busyHostReason, otherBusyCores, readCpuJiffies } from './host-busy.ts';
import { calibrate, tunePlan } from './host-tuning.ts';
import { fileSha256, readTuning, tuningKey, writeTuning, type TuningKeyParts } from './tuning-cache.ts';

/** What the worker needs to tune (part of WorkerInit). */
export interface WorkerTuneInit {
  cacheDir: string;
  precision: string;
  /** Threads / spinning the user gave explicitly (kept, not tuned), else null. */
  fixedThreads: number | null;
  fixedSpinning: boolean | null;
  /** Galaxies in the calibration batch: min(batch size, 64). */
  galaxies: number;
}

/** The largest calibration batch: enough for slices up to 64 while keeping the calibration to a few seconds. */
export const MAX_CALIBRATION_GALAXIES = 64;

export async function resolveTuning(args: {
  tune: WorkerTuneInit;
  modelPath: string;
  binding: ModelInfo['binding'];
  graphOptimization: GraphOptimization;
  geluApproximation?: boolean;
}): Promise<TuningRecord> {
  const { tune } = args;
  const host = hostInfo();
  const parts: TuningKeyParts = {
    cpuModel: host.cpuModel,
    cpuFlags: host.cpuFlags,
    logicalCores: host.logicalCores,
    physicalCores: host.physicalCores,
    onnxruntime: host.onnxruntime,
    modelSha256: await fileSha256(args.modelPath),
    precision: tune.precision + (args.geluApproximation ? '/tanh-gelu' : ''),
    graphOptimization: args.graphOptimization,
    fixedThreads: tune.fixedThreads,
    fixedSpinning: tune.fixedSpinning,
    calibrationGalaxies: tune.galaxies,
  };
  const fixed = { threads: tune.fixedThreads, spinning: tune.fixedSpinning };
  const cached = await readTuning(tune.cacheDir, parts);
  if ('entry' in cached) {
    const e = cached.entry;
    return {
      mode: 'auto',
      source: 'cache',
      key: e.key,
      calibratedAt: e.calibratedAt,
      fixed,
      result: e.result,
      spinOverheadCpuSeconds: null,
    };
  }

  const n = tune.galaxies;
  const rng = new Prng(21);
  const images = rng.uniform(new Float32Array(n * IMAGE_VALUES), 1);
  const magnitudes = rng.uniform(new Float32Array(n * MAGNITUDES), 1);
  const out = new Float32Array(n);
  const sessions = new Map<string, ort.InferenceSession>();
  const id = (s: TuneSettings) => `${s.threads}:${s.spinning ? 1 : 0}`;
  const sessionFor = async (s: TuneSettings) => {
    let session = sessions.get(id(s));
    if (!session) {
      session = await ort.InferenceSession.create(
        args.modelPath,
        engineSessionOptions({
          threads: s.threads,
          graphOptimization: args.graphOptimization,
          spinning: s.spinning,
          geluApproximation: args.geluApproximation,
        }),
      );
      sessions.set(id(s), session);
      // Warm-up, not measured: weight pre-packing and the arena's first blocks.
      await predictBatch(session, args.binding, images, magnitudes, n, out, 0, s.slice);
    }
    return session;
  };
  const plan = tunePlan({
    physicalCores: host.physicalCores,
    fixedThreads: tune.fixedThreads,
    fixedSpinning: tune.fixedSpinning,
    defaultSlice: GALAXIES_PER_SESSION_RUN,
    galaxies: n,
  });
  const busyBefore = await readCpuJiffies();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  try {
    const calibrated = await calibrate(plan, {
      async measure(s) {
        const session = await sessionFor(s);
        const t = performance.now();
        const c = process.cpuUsage();
        await predictBatch(session, args.binding, images, magnitudes, n, out, 0, s.slice);
        const used = process.cpuUsage(c);
        return { wallSeconds: (performance.now() - t) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
      },
      async stageDone(kept) {
        for (const [k, s] of sessions) {
          if (k === id(kept)) continue;
          sessions.delete(k);
          await s.release();
        }
      },
    });
    const own = process.cpuUsage(cpuBefore);
    const others = otherBusyCores({
      before: busyBefore,
      after: await readCpuJiffies(),
      logicalCores: host.logicalCores,
      ownCpuSeconds: (own.user + own.system) / 1e6,
      wallSeconds: (performance.now() - wallBefore) / 1000,
    });
    const result = { ...calibrated, otherBusyCores: others };
    const calibratedAt = new Date();
    const notCached = busyHostReason(others, host.logicalCores);
    // A read-only data folder only costs the next run a new calibration.
    if (!notCached) await writeTuning(tune.cacheDir, parts, result, calibratedAt).catch(() => null);
    return {
      ...(notCached ? { notCached } : {}),
      mode: 'auto',
      source: 'calibrated',
      key: tuningKey(parts),
      calibratedAt: calibratedAt.toISOString(),
      fixed,
      result,
      spinOverheadCpuSeconds: null,
    };
  } finally {
    for (const s of sessions.values()) await s.release();
  }
}
