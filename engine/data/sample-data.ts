import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Prng } from '../prng.ts';
import { samplesPerPartition } from './partitioner.ts';
import { PtFormatError } from './pt-errors.ts';
import { writeGalaxyPartition } from './pt-writer.ts';
import { DATASET_INFO, writeSyntheticMarker } from './synthetic-marker.ts';
import { IMAGE_VALUES_PER_SAMPLE, MAGNITUDES_PER_SAMPLE } from './types.ts';

/**
 * Synthetic galaxies in the study's format, so the app works offline on first launch. Deterministic from the
 * seed and drawn sample by sample, so the values do not depend on how the samples are split into files.
 * Each sample: magnitudes 15–25 in five bands, redshift 0–0.4, and five 32×32 images with a Gaussian source
 * near the centre (brighter in brighter bands, smaller at higher redshift) over a faint noisy background.
 */

export const SAMPLE_GENERATOR = 'CosmicAI Bench synthetic galaxies v1';
export const DEFAULT_SAMPLE_COUNT = 2048;
export const DEFAULT_SAMPLE_SEED = 42;

class SampleSource {
  private readonly r: Prng;

  constructor(seed: number) {
    this.r = new Prng(seed);
  }

  /** Writes sample i of the output arrays. */
  next(images: Float32Array, magnitudes: Float32Array, redshifts: Float32Array, i: number): void {
    const z = 0.4 * this.r.next();
    redshifts[i] = z;
    for (let b = 0; b < MAGNITUDES_PER_SAMPLE; b++) magnitudes[i * MAGNITUDES_PER_SAMPLE + b] = 15 + 10 * this.r.next();
    const sigma = 1.5 + 2 * this.r.next() * (1 - z);
    const cx = 15.5 + (this.r.next() - 0.5);
    const cy = 15.5 + (this.r.next() - 0.5);
    const inv = 1 / (2 * sigma * sigma);
    for (let b = 0; b < 5; b++) {
      const mag = magnitudes[i * MAGNITUDES_PER_SAMPLE + b];
      const amp = 0.05 + 0.045 * (25 - mag) * (0.8 + 0.4 * this.r.next());
      const base = i * IMAGE_VALUES_PER_SAMPLE + b * 1024;
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const r2 = (x - cx) ** 2 + (y - cy) ** 2;
          images[base + y * 32 + x] = 0.01 + 0.002 * Math.abs(this.r.normal()) + amp * Math.exp(-r2 * inv);
        }
      }
    }
  }
}

export async function generateSampleData(opts: {
  samples: number;
  outDir: string;
  seed?: number;
  partitionMb?: number;
}): Promise<string[]> {
  const { samples, outDir } = opts;
  const seed = opts.seed ?? DEFAULT_SAMPLE_SEED;
  if (!Number.isSafeInteger(samples) || samples <= 0)
    throw new PtFormatError(outDir, 'invalid-argument', `sample count must be a positive integer, got ${samples}`);
  if (!Number.isSafeInteger(seed))
    throw new PtFormatError(outDir, 'invalid-argument', `seed must be an integer, got ${seed}`);
  const per =
    opts.partitionMb === undefined ? samples : Math.min(samples, samplesPerPartition(opts.partitionMb, true, outDir));
  try {
    await fs.promises.mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new PtFormatError(outDir, 'io', `cannot create the output folder: ${(err as Error).message}`, { cause: err });
  }
  const existing = (await fs.promises.readdir(outDir)).filter((n) => n.toLowerCase().endsWith('.pt'));
  if (existing.length)
    throw new PtFormatError(
      outDir,
      'invalid-argument',
      `the output folder already holds .pt files (${existing.slice(0, 3).join(', ')}); choose an empty folder`,
    );

  const source = new SampleSource(seed);
  const files: string[] = [];
  const images = new Float32Array(per * IMAGE_VALUES_PER_SAMPLE);
  const magnitudes = new Float32Array(per * MAGNITUDES_PER_SAMPLE);
  const redshifts = new Float32Array(per);
  for (let done = 0; done < samples;) {
    const n = Math.min(per, samples - done);
    for (let i = 0; i < n; i++) source.next(images, magnitudes, redshifts, i);
    const file = path.join(outDir, `${files.length + 1}.pt`);
    await writeGalaxyPartition(file, {
      images: images.subarray(0, n * IMAGE_VALUES_PER_SAMPLE),
      magnitudes: magnitudes.subarray(0, n * MAGNITUDES_PER_SAMPLE),
      redshifts: redshifts.subarray(0, n),
      samples: n,
    });
    files.push(file);
    done += n;
  }
  await writeSyntheticMarker(outDir, {
    generator: SAMPLE_GENERATOR,
    seed,
    samples,
    files: files.map((f) => path.basename(f)),
  });
  return files;
}

/**
 * The bundled default: `${dataDir}/sample-data/default` with 2048 synthetic galaxies (seed 42), made once.
 * Built in a private temporary folder and renamed into place, so concurrent callers never see half a dataset.
 */
export async function ensureDefaultSampleData(dataDir: string): Promise<string> {
  const root = path.join(dataDir, 'sample-data');
  const dest = path.join(root, 'default');
  const complete = () => fs.existsSync(path.join(dest, DATASET_INFO));
  if (complete()) return dest;
  await fs.promises.mkdir(root, { recursive: true });
  if (fs.existsSync(dest)) {
    // Only complete folders are ever renamed into place, so this one was damaged by hand: set it aside.
    const stale = path.join(root, `.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
    await fs.promises.rename(dest, stale).catch(() => {});
    await fs.promises.rm(stale, { recursive: true, force: true });
  }
  const tmp = path.join(root, `.default-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  try {
    await generateSampleData({ samples: DEFAULT_SAMPLE_COUNT, outDir: tmp, seed: DEFAULT_SAMPLE_SEED });
    try {
      await fs.promises.rename(tmp, dest);
    } catch (err) {
      // Another process finished first; its folder is identical (same seed), so use it.
      if (!complete()) throw err;
    }
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }
  return dest;
}
