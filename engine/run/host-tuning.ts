import type { TuneCandidate, TuneSettings, TuneStage, TuningResult } from '../../base/tuning-record.ts';
import { median } from './percentiles.ts';

/**
 * The host calibration's choice logic, free of onnxruntime: it asks an injected `measure` to run one calibration
 * batch with given settings and picks, stage by stage, the settings with the best wall time per galaxy.
 *
 * Stages (each interleaved: every round runs every candidate once, the start rotating, best of the rounds, so all
 * candidates see the same load):
 *  1. threads 1..physical cores (slice and spinning at their defaults);
 *  2. slice 8/16/32/64 galaxies per session.run (no larger than the calibration batch) at the chosen threads;
 *  3. spinning off vs on at the chosen threads and slice;
 *  4. confirm: when the stages changed anything, the chosen settings against the untuned ones, head to head over
 *     more rounds; the defaults stay unless the choice still wins. Each stage decides from a few short batches, and
 *     a win of a few percent in one stage was often noise (the idle bench of 2026-12-06 ran the "tuned" slice 32
 *     14% slower than the fixed slice 16 it had "beaten" by 3.8%).
 * A candidate replaces the current setting only when faster by more than `margin` (spinning: `spinMargin`, since it
 * also burns CPU while idle) AND by more than the noise measured in the same stage: the spread of each compared
 * candidate's repeats, (median − best) / best. So on a busy host, where repeats of one setting differ by 10%, a 5%
 * "gain" keeps the defaults. What the user fixed is not tuned.
 */

export interface TuneSample {
  /** Wall seconds of the calibration batch. */
  wallSeconds: number;
  /** Process user + system CPU seconds over it. */
  cpuSeconds: number;
}

export interface TunePlan {
  /** The settings a run uses untuned (the engine's defaults, or what the user fixed). */
  base: TuneSettings;
  /** Thread counts to try; one value when the user fixed threads. */
  threads: number[];
  slices: number[];
  /** False when the user fixed spinning. */
  tuneSpinning: boolean;
  /** Galaxies in the calibration batch. */
  galaxies: number;
}

export interface TuneHooks {
  /** Runs the calibration batch once with these settings. */
  measure(s: TuneSettings): Promise<TuneSample>;
  /** After a stage, with the settings kept: a place to release sessions no longer needed. */
  stageDone?(kept: TuneSettings): Promise<void>;
}

export interface TuneOptions {
  rounds?: number;
  /** Relative wall-time gain a candidate needs to replace the current setting (default 0.03). */
  margin?: number;
  /** The same for turning spinning on (default 0.05). */
  spinMargin?: number;
  /** Rounds of the confirm stage (default 2 × rounds + 1). */
  confirmRounds?: number;
}

export const DEFAULT_SLICES = [8, 16, 32, 64];

/** The plan for a host: threads 1..physical cores unless fixed, slices up to the calibration batch. */
export function tunePlan(args: {
  physicalCores: number;
  fixedThreads: number | null;
  fixedSpinning: boolean | null;
  defaultSlice: number;
  galaxies: number;
}): TunePlan {
  const cores = Math.max(1, args.physicalCores);
  const threads = args.fixedThreads ? [args.fixedThreads] : Array.from({ length: cores }, (_, i) => i + 1);
  const slices = DEFAULT_SLICES.filter((s) => s <= args.galaxies);
  if (!slices.includes(args.defaultSlice) && args.defaultSlice <= args.galaxies) slices.push(args.defaultSlice);
  return {
    base: {
      threads: args.fixedThreads ?? cores,
      slice: Math.min(args.defaultSlice, args.galaxies),
      spinning: args.fixedSpinning ?? false,
    },
    threads,
    slices: slices.length ? slices.sort((a, b) => a - b) : [args.galaxies],
    tuneSpinning: args.fixedSpinning === null,
    galaxies: args.galaxies,
  };
}

const same = (a: TuneSettings, b: TuneSettings) =>
  a.threads === b.threads && a.slice === b.slice && a.spinning === b.spinning;

const describe = (s: TuneSettings, stage: TuneStage['name']) =>
  stage === 'threads'
    ? `${s.threads} thread(s)`
    : stage === 'slice'
      ? `slice ${s.slice}`
      : stage === 'spinning'
        ? `spinning ${s.spinning ? 'on' : 'off'}`
        : `${s.threads} thread(s), slice ${s.slice}, spinning ${s.spinning ? 'on' : 'off'}`;

/** A candidate's run-to-run noise: (median − best) / best of its repeats' wall times; 0 with no median recorded. */
export function wallNoise(c: TuneCandidate): number {
  const med = c.wallMsPerGalaxyMedian;
  return med === undefined || !(c.wallMsPerGalaxy > 0) ? 0 : Math.max(0, (med - c.wallMsPerGalaxy) / c.wallMsPerGalaxy);
}

/** Best-of-rounds (and median) wall and best CPU per galaxy for each candidate, run interleaved. */
async function measureInterleaved(
  candidates: TuneSettings[],
  hooks: TuneHooks,
  rounds: number,
  galaxies: number,
): Promise<TuneCandidate[]> {
  const walls: number[][] = candidates.map(() => []);
  const cpu = candidates.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < candidates.length; j++) {
      const i = (j + r) % candidates.length;
      const s = await hooks.measure(candidates[i]);
      walls[i].push(s.wallSeconds);
      cpu[i] = Math.min(cpu[i], s.cpuSeconds);
    }
  }
  return candidates.map((settings, i) => ({
    settings,
    wallMsPerGalaxy: (1000 * Math.min(...walls[i])) / galaxies,
    wallMsPerGalaxyMedian: (1000 * median(walls[i])) / galaxies,
    cpuMsPerGalaxy: (1000 * cpu[i]) / galaxies,
  }));
}

/**
 * Picks among measured candidates: the fastest, if it beats the incumbent by more than `margin` and by more than
 * the noise of the two (see wallNoise).
 */
export function pickCandidate(
  name: TuneStage['name'],
  measured: TuneCandidate[],
  incumbent: TuneSettings,
  margin: number,
): TuneStage {
  const inc = Math.max(
    0,
    measured.findIndex((c) => same(c.settings, incumbent)),
  );
  let best = inc;
  measured.forEach((c, i) => {
    if (c.wallMsPerGalaxy < measured[best].wallMsPerGalaxy) best = i;
  });
  const incMs = measured[inc].wallMsPerGalaxy;
  const bestMs = measured[best].wallMsPerGalaxy;
  const gain = incMs > 0 ? (incMs - bestMs) / incMs : 0;
  const noise = Math.max(wallNoise(measured[inc]), wallNoise(measured[best]));
  const needed = Math.max(margin, noise);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const bar = noise > margin ? `${pct(noise)}, the noise between repeats` : `${(100 * margin).toFixed(0)}%`;
  const fmt = (c: TuneCandidate) =>
    `${describe(c.settings, name)} ${c.wallMsPerGalaxy.toFixed(2)} ms/galaxy (CPU ${c.cpuMsPerGalaxy.toFixed(2)})`;
  if (best !== inc && gain > needed) {
    return {
      name,
      candidates: measured,
      chosen: best,
      reason: `${fmt(measured[best])} beats ${fmt(measured[inc])} by ${pct(gain)} (> ${bar})`,
    };
  }
  return {
    name,
    candidates: measured,
    chosen: inc,
    reason:
      best === inc
        ? `${fmt(measured[inc])} is the fastest`
        : `kept ${fmt(measured[inc])}: ${fmt(measured[best])} is only ${pct(gain)} faster (≤ ${bar})`,
  };
}

/** Runs the calibration stages; returns the settings chosen and every number behind the choice. */
export async function calibrate(plan: TunePlan, hooks: TuneHooks, opts: TuneOptions = {}): Promise<TuningResult> {
  const rounds = opts.rounds ?? 3;
  const margin = opts.margin ?? 0.03;
  const spinMargin = opts.spinMargin ?? 0.05;
  const confirmRounds = opts.confirmRounds ?? 2 * rounds + 1;
  const t0 = performance.now();
  const stages: TuneStage[] = [];
  let current: TuneSettings = { ...plan.base };

  const run = async (name: TuneStage['name'], candidates: TuneSettings[], m: number, n = rounds) => {
    if (candidates.length < 2) return;
    const measured = await measureInterleaved(candidates, hooks, n, plan.galaxies);
    const stage = pickCandidate(name, measured, current, m);
    stages.push(stage);
    current = stage.candidates[stage.chosen].settings;
    await hooks.stageDone?.(current);
  };

  await run(
    'threads',
    plan.threads.map((threads) => ({ ...current, threads })),
    margin,
  );
  await run(
    'slice',
    plan.slices.map((slice) => ({ ...current, slice })),
    margin,
  );
  let spinOverhead: number | null = null;
  if (plan.tuneSpinning) {
    await run(
      'spinning',
      [false, true].map((spinning) => ({ ...current, spinning })),
      spinMargin,
    );
    const st = stages.find((s) => s.name === 'spinning');
    const on = st?.candidates.find((c) => c.settings.spinning);
    const off = st?.candidates.find((c) => !c.settings.spinning);
    if (on && off) spinOverhead = on.cpuMsPerGalaxy - off.cpuMsPerGalaxy;
  }
  if (!same(current, plan.base)) {
    // The untuned settings are the incumbent: the choice must win again, head to head, or the defaults stay.
    // Turning spinning on needs its own, larger margin here too.
    const chosen = current;
    current = { ...plan.base };
    await run(
      'confirm',
      [{ ...plan.base }, chosen],
      chosen.spinning && !plan.base.spinning ? spinMargin : margin,
      confirmRounds,
    );
  }
  return {
    settings: current,
    stages,
    galaxies: plan.galaxies,
    rounds,
    calibrationSeconds: (performance.now() - t0) / 1000,
    spinOverheadCpuMsPerGalaxy: spinOverhead,
  };
}
