import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { TuningResultSchema, type TuningResult } from '../../base/tuning-record.ts';
import { writeFileAtomic } from '../atomic-file.ts';

/**
 * The host tuning cache: one JSON file per key under `<app data>/tuning/`. A calibration is valid for the host it
 * ran on (CPU model, the flags that pick kernels, core counts), the onnxruntime version, the model's bytes
 * (SHA-256), the precision and graph optimisation, and what the user fixed; a change to any of these is a new key,
 * so a stale choice is never reused. Entries older than MAX_AGE_DAYS, unreadable, or of another tuner version are
 * ignored and recalibrated.
 */

/** Bump when the calibration's stages or choice rules change: older entries are then recalibrated. */
// 2: the noise-aware choice and the confirm stage (version 1 kept choices that did not beat the defaults).
// 3: a calibration made on a busy host is not cached (a version-2 entry may hold such a choice: on 2026-12-06 one
//    made while another job held a core chose 1 thread, and an idle bench reading it ran 47% below 2 threads).
export const TUNER_VERSION = 3;
export const MAX_AGE_DAYS = 30;

export interface TuningKeyParts {
  cpuModel: string;
  cpuFlags: string[];
  logicalCores: number;
  physicalCores: number;
  onnxruntime: string;
  modelSha256: string;
  precision: string;
  graphOptimization: string;
  fixedThreads: number | null;
  fixedSpinning: boolean | null;
  /** Galaxies in the calibration batch (min(batch size, 64)): bounds the slices tried. */
  calibrationGalaxies: number;
}

const KeyPartsSchema = z.object({
  cpuModel: z.string(),
  cpuFlags: z.array(z.string()),
  logicalCores: z.number(),
  physicalCores: z.number(),
  onnxruntime: z.string(),
  modelSha256: z.string(),
  precision: z.string(),
  graphOptimization: z.string(),
  fixedThreads: z.number().nullable(),
  fixedSpinning: z.boolean().nullable(),
  calibrationGalaxies: z.number(),
});

const EntrySchema = z.object({
  tunerVersion: z.literal(TUNER_VERSION),
  key: z.string(),
  parts: KeyPartsSchema,
  calibratedAt: z.iso.datetime(),
  result: TuningResultSchema,
});
export type TuningCacheEntry = z.infer<typeof EntrySchema>;

/** A stable key: SHA-256 of the parts (flags sorted) and the tuner version, 16 hex digits. */
export function tuningKey(parts: TuningKeyParts): string {
  const canonical = JSON.stringify({
    v: TUNER_VERSION,
    ...parts,
    cpuFlags: [...parts.cpuFlags].sort(),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export const tuningFile = (dir: string, key: string) => path.join(dir, `${key}.json`);

/** SHA-256 of a file, streamed (a model is tens of MB: never read whole on a thread that must stay responsive). */
export function fileSha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export type CacheMiss = 'absent' | 'unreadable' | 'other-version' | 'other-key' | 'expired';

/** The cached entry for `parts`, or why there is none usable. */
export async function readTuning(
  dir: string,
  parts: TuningKeyParts,
  now: Date = new Date(),
): Promise<{ entry: TuningCacheEntry } | { miss: CacheMiss }> {
  const key = tuningKey(parts);
  let text: string;
  try {
    text = await readFile(tuningFile(dir, key), 'utf8');
  } catch {
    return { miss: 'absent' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { miss: 'unreadable' };
  }
  if ((json as { tunerVersion?: unknown } | null)?.tunerVersion !== TUNER_VERSION) return { miss: 'other-version' };
  const parsed = EntrySchema.safeParse(json);
  if (!parsed.success) return { miss: 'unreadable' };
  const entry = parsed.data;
  // The key is a hash: compare the parts themselves too, so a collision or a hand-edited file cannot pass.
  if (entry.key !== key || tuningKey(entry.parts) !== key) return { miss: 'other-key' };
  const age = now.getTime() - Date.parse(entry.calibratedAt);
  if (!(age >= 0 && age <= MAX_AGE_DAYS * 86_400_000)) return { miss: 'expired' };
  return { entry };
}

/** Stores a calibration (atomically: a reader sees the old file or the new one). */
export async function writeTuning(
  dir: string,
  parts: TuningKeyParts,
  result: TuningResult,
  calibratedAt: Date = new Date(),
): Promise<TuningCacheEntry> {
  const entry: TuningCacheEntry = {
    tunerVersion: TUNER_VERSION,
    key: tuningKey(parts),
    parts,
    calibratedAt: calibratedAt.toISOString(),
    result,
  };
  await writeFileAtomic(tuningFile(dir, entry.key), JSON.stringify(entry, null, 2) + '\n', { mkdir: true });
  return entry;
}
