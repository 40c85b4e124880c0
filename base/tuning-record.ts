import { z } from 'zod';

/**
 * What a local run's host tuning (`tune: 'auto'`) chose and why: the settings, the calibration's numbers for every
 * candidate, and, when spinning was chosen, the CPU time it costs. Stored in the run record and in the tuning cache.
 */

export const TUNE_MODES = ['auto', 'off'] as const;
export const TuneModeSchema = z.enum(TUNE_MODES);
export type TuneMode = z.infer<typeof TuneModeSchema>;

const nonneg = () => z.number().nonnegative();

export const TuneSettingsSchema = z.object({
  /** onnxruntime intra-op threads. */
  threads: z.number().int().positive(),
  /** Galaxies per onnxruntime session.run (a batch runs as consecutive slices of this many). */
  slice: z.number().int().positive(),
  /** onnxruntime intra-op spinning (session.intra_op.allow_spinning). */
  spinning: z.boolean(),
});
export type TuneSettings = z.infer<typeof TuneSettingsSchema>;

export const TuneCandidateSchema = z.object({
  settings: TuneSettingsSchema,
  /** Best over the rounds of the batch's wall time ÷ its galaxies, ms. */
  wallMsPerGalaxy: nonneg(),
  /**
   * Median over the rounds of the same, ms: with the best, the run-to-run noise the choice had to beat. Absent in
   * calibrations made before it was recorded.
   */
  wallMsPerGalaxyMedian: nonneg().optional(),
  /** Best over the rounds of the process's user + system CPU time over the batch ÷ its galaxies, ms. */
  cpuMsPerGalaxy: nonneg(),
});
export type TuneCandidate = z.infer<typeof TuneCandidateSchema>;

export const TuneStageSchema = z.object({
  /** 'confirm': the chosen settings against the untuned ones, head to head, before they are kept. */
  name: z.enum(['threads', 'slice', 'spinning', 'confirm']),
  candidates: z.array(TuneCandidateSchema),
  /** Index of the candidate kept. */
  chosen: z.number().int().nonnegative(),
  /** Why that one: the comparison that decided it. */
  reason: z.string(),
});
export type TuneStage = z.infer<typeof TuneStageSchema>;

export const TuningResultSchema = z.object({
  settings: TuneSettingsSchema,
  stages: z.array(TuneStageSchema),
  /** Galaxies in the calibration batch and rounds per candidate (best of). */
  galaxies: z.number().int().positive(),
  rounds: z.number().int().positive(),
  /** Wall time of the whole calibration (sessions, warm-ups and measured runs), s. */
  calibrationSeconds: nonneg(),
  /**
   * CPU ms per galaxy with spinning on minus with it off, same threads and slice, same calibration batch, best of
   * the rounds each: the CPU that idle threads burn spinning. Null when spinning was not measured.
   */
  spinOverheadCpuMsPerGalaxy: z.number().nullable(),
  /**
   * Cores that other processes kept busy on average during the calibration (all CPU time from /proc/stat minus this
   * process's, ÷ wall time). Null where unknown (not Linux); absent in calibrations made before it was measured.
   */
  otherBusyCores: z.number().nonnegative().nullable().optional(),
});
export type TuningResult = z.infer<typeof TuningResultSchema>;

export const TuningRecordSchema = z.object({
  mode: TuneModeSchema,
  /** 'calibrated' in this run, or read from the cache made by an earlier run on the same host and model. */
  source: z.enum(['calibrated', 'cache']),
  /** The cache key: host (CPU model, flags, cores), onnxruntime version, model SHA-256, precision, constraints. */
  key: z.string(),
  /** When the calibration ran (ISO time). */
  calibratedAt: z.iso.datetime(),
  /** What the user fixed (not tuned): threads and/or spinning given explicitly. */
  fixed: z.object({ threads: z.number().int().positive().nullable(), spinning: z.boolean().nullable() }),
  result: TuningResultSchema,
  /**
   * With spinning chosen: spinOverheadCpuMsPerGalaxy × galaxies inferred, s — the part of total_cpu_time estimated
   * to be idle spinning rather than work. Null when spinning is off.
   */
  spinOverheadCpuSeconds: z.number().nullable(),
  /** Why this calibration was used for its run but not stored in the cache (e.g. the host was busy); absent if stored. */
  notCached: z.string().optional(),
});
export type TuningRecord = z.infer<typeof TuningRecordSchema>;
