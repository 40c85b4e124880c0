import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pidAlive } from '../pid-alive.ts';
import type { Dataset } from './dataset.ts';
import { PtFormatError } from './pt-errors.ts';
import { writeGalaxyPartition } from './pt-writer.ts';
import { isSynthetic, syntheticInfo, writeSyntheticMarker } from './synthetic-marker.ts';
import { IMAGE_VALUES_PER_SAMPLE, MAGNITUDES_PER_SAMPLE, MB } from './types.ts';

/**
 * The study's split (`split_data.py`): `chunk_size = 5113//10 # creates exactly 100MB size` for its 10 MB files, i.e.
 * galaxies per file = floor(5113 × size_MB / 100), 5113 galaxies being what the study measured to make 100 MB (a
 * little under 100 × 2^20 bytes ÷ 20,504 serialized bytes per galaxy = 5113.98, the container's overhead taken into
 * account). So 25/50/75/100 MB files hold 1278/2556/3834/5113 galaxies, as the study's do; the last file holds the
 * remainder.
 */
export const BYTES_PER_SAMPLE = (IMAGE_VALUES_PER_SAMPLE + MAGNITUDES_PER_SAMPLE + 1) * 4;

/** Galaxies in a 100 MB file, the anchor split_data.py scales from. */
export const STUDY_GALAXIES_PER_100MB = 5113;

export function bytesPerSample(labelled = true): number {
  return (IMAGE_VALUES_PER_SAMPLE + MAGNITUDES_PER_SAMPLE + (labelled ? 1 : 0)) * 4;
}

/** Galaxies in a 100 MB file: the study's anchor, whatever the labels (the script does not distinguish). */
export function samplesPer100Mb(): number {
  return STUDY_GALAXIES_PER_100MB;
}

/** Samples per partition file for a target size in MB (2^20 bytes); throws when not even one sample fits. */
export function samplesPerPartition(sizeMb: number, labelled = true, file = '(partition size)'): number {
  if (typeof sizeMb !== 'number' || !Number.isFinite(sizeMb) || sizeMb <= 0) {
    throw new PtFormatError(
      file,
      'invalid-argument',
      `partition size must be a positive number of MB, got ${String(sizeMb)}`,
    );
  }
  const per = bytesPerSample(labelled);
  // Scaled from the 100 MB anchor as split_data.py does (5113//10 for 10 MB); rounded to 1e-9 first so that a size
  // like 0.3 MB is not floored below its exact product.
  const n = Math.floor(Math.round(((samplesPer100Mb() * sizeMb) / 100) * 1e9) / 1e9);
  if (n < 1) {
    throw new PtFormatError(
      file,
      'invalid-argument',
      `a partition of ${sizeMb} MB (${Math.floor(sizeMb * MB)} bytes) is smaller than one sample (${per} bytes): at the study's ${samplesPer100Mb()} galaxies per 100 MB, use at least ${(Math.ceil(1e6 / samplesPer100Mb()) / 1e4).toFixed(4)} MB`,
    );
  }
  return n;
}

const STAGING_RE = /^\.(.+)\.partial-(\d+)-[0-9a-f]+$/;

/** Removes staging folders of `outDir` left by partition runs that were killed (their process is gone). */
async function removeStaleStaging(outDir: string): Promise<void> {
  const parent = path.dirname(outDir);
  const names = await fs.promises.readdir(parent).catch(() => [] as string[]);
  for (const n of names) {
    const m = STAGING_RE.exec(n);
    if (m && m[1] === path.basename(outDir) && !pidAlive(Number(m[2])))
      await fs.promises.rm(path.join(parent, n), { recursive: true, force: true });
  }
}

/**
 * Moves the finished staging folder into place: one rename when `outDir` is new or empty. When it already holds
 * other (non-.pt) files, the files are renamed in one at a time, the synthetic marker and the lowest-numbered
 * partition last, so until the end a reader sees either no .pt file or (for a few microseconds) an incomplete set.
 */
async function publish(staging: string, outDir: string): Promise<void> {
  const existing = await fs.promises.readdir(outDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing && existing.length === 0) await fs.promises.rmdir(outDir);
  if (!existing || existing.length === 0) {
    await fs.promises.rename(staging, outDir);
    return;
  }
  const names = (await fs.promises.readdir(staging)).sort((a, b) => order(b) - order(a));
  for (const n of names) await fs.promises.rename(path.join(staging, n), path.join(outDir, n));
  await fs.promises.rmdir(staging);
}

const order = (name: string): number => (/^\d+\.pt$/.test(name) ? Number.parseInt(name, 10) : -1);

/**
 * Writes the partitions into a hidden staging folder beside `outDir` (`.<name>.partial-<pid>-<random>`) and
 * renames it into place only when every file is written, so a run that is killed or fails leaves nothing that
 * looks like a dataset (the next run removes the dead run's staging folder).
 */
export async function partitionDataset(
  ds: Dataset,
  sizeMb: number,
  outDir: string,
  onProgress?: (written: number, total: number) => void,
): Promise<{ files: string[]; samplesPerFile: number }> {
  const target = path.resolve(outDir);
  samplesPerPartition(sizeMb, ds.shapes.redshifts !== null, outDir);
  try {
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
  } catch (err) {
    throw new PtFormatError(outDir, 'io', `cannot create the output folder: ${(err as Error).message}`, { cause: err });
  }
  const existing = (await fs.promises.readdir(target).catch(() => [] as string[])).filter((n) =>
    n.toLowerCase().endsWith('.pt'),
  );
  if (existing.length) {
    throw new PtFormatError(
      outDir,
      'invalid-argument',
      `the output folder already holds .pt files (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}); choose an empty folder so old partitions do not mix with new ones`,
    );
  }
  await removeStaleStaging(target);
  const staging = path.join(
    path.dirname(target),
    `.${path.basename(target)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    const { files, samplesPerFile } = await writePartitions(ds, sizeMb, staging, onProgress);
    await publish(staging, target);
    return { files: files.map((f) => path.join(outDir, path.basename(f))), samplesPerFile };
  } catch (err) {
    await fs.promises.rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function writePartitions(
  ds: Dataset,
  sizeMb: number,
  outDir: string,
  /** Called after each file with the samples written so far and the dataset's total. */
  onProgress?: (written: number, total: number) => void,
): Promise<{ files: string[]; samplesPerFile: number }> {
  const labelled = ds.shapes.redshifts !== null;
  const per = samplesPerPartition(sizeMb, labelled, outDir);
  try {
    await fs.promises.mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new PtFormatError(outDir, 'io', `cannot create the output folder: ${(err as Error).message}`, { cause: err });
  }
  const existing = (await fs.promises.readdir(outDir)).filter((n) => n.toLowerCase().endsWith('.pt'));
  if (existing.length) {
    throw new PtFormatError(
      outDir,
      'invalid-argument',
      `the output folder already holds .pt files (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}); choose an empty folder so old partitions do not mix with new ones`,
    );
  }

  const cap = Math.min(per, ds.samples);
  const images = new Float32Array(cap * IMAGE_VALUES_PER_SAMPLE);
  const magnitudes = new Float32Array(cap * MAGNITUDES_PER_SAMPLE);
  const redshifts = labelled ? new Float32Array(cap) : null;
  const files: string[] = [];
  let fill = 0;
  let written = 0;

  const flush = async (data: {
    images: Float32Array;
    magnitudes: Float32Array;
    redshifts: Float32Array | null;
    samples: number;
  }) => {
    const file = path.join(outDir, `${files.length + 1}.pt`);
    await writeGalaxyPartition(file, data);
    files.push(file);
    written += data.samples;
    onProgress?.(written, ds.samples);
  };

  for (const ref of ds.partitions) {
    const p = await ds.load(ref);
    if (labelled !== (p.redshifts !== null))
      throw new PtFormatError(ref.path, 'bad-structure', 'redshifts appear in some partitions and not in others');
    let pos = 0;
    while (pos < p.samples) {
      const take = Math.min(per - fill, p.samples - pos);
      if (fill === 0 && take === per) {
        // A whole output file lies inside this partition: write straight from its views.
        await flush({
          images: p.images.subarray(pos * IMAGE_VALUES_PER_SAMPLE, (pos + take) * IMAGE_VALUES_PER_SAMPLE),
          magnitudes: p.magnitudes.subarray(pos * MAGNITUDES_PER_SAMPLE, (pos + take) * MAGNITUDES_PER_SAMPLE),
          redshifts: p.redshifts ? p.redshifts.subarray(pos, pos + take) : null,
          samples: take,
        });
      } else {
        images.set(
          p.images.subarray(pos * IMAGE_VALUES_PER_SAMPLE, (pos + take) * IMAGE_VALUES_PER_SAMPLE),
          fill * IMAGE_VALUES_PER_SAMPLE,
        );
        magnitudes.set(
          p.magnitudes.subarray(pos * MAGNITUDES_PER_SAMPLE, (pos + take) * MAGNITUDES_PER_SAMPLE),
          fill * MAGNITUDES_PER_SAMPLE,
        );
        if (redshifts && p.redshifts) redshifts.set(p.redshifts.subarray(pos, pos + take), fill);
        fill += take;
        if (fill === per) {
          await flush({ images, magnitudes, redshifts, samples: per });
          fill = 0;
        }
      }
      pos += take;
    }
  }
  if (fill > 0) {
    await flush({
      images: images.subarray(0, fill * IMAGE_VALUES_PER_SAMPLE),
      magnitudes: magnitudes.subarray(0, fill * MAGNITUDES_PER_SAMPLE),
      redshifts: redshifts ? redshifts.subarray(0, fill) : null,
      samples: fill,
    });
  }

  const sources = ds.partitions.map((r) => r.path);
  if (isSynthetic(sources)) {
    const info = syntheticInfo(sources);
    await writeSyntheticMarker(outDir, {
      generator: `${info?.generator ?? 'CosmicAI Bench'}, re-partitioned to ${sizeMb} MB`,
      seed: info?.seed ?? 0,
      samples: written,
      files: files.map((f) => path.basename(f)),
    });
  }
  return { files, samplesPerFile: per };
}
