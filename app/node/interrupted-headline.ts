import { access } from 'node:fs/promises';
import path from 'node:path';
import type { RunHeadline } from '../common/contract/index.ts';
import { SYNTHETIC_MARKER } from '../../engine/data/synthetic-marker.ts';

/**
 * The headline of a local run that was interrupted (crash, kill -9), recomputed from the partition records it
 * kept instead of the guesses made at its start (e.g. `syntheticData: false` for a synthetic folder given as
 * data): samples and partitions counted, throughput = samples / the time they took, synthetic from the folders.
 */
export async function interruptedHeadline(
  start: RunHeadline,
  kept: Array<Record<string, unknown>>,
): Promise<RunHeadline> {
  const parts = kept.filter((p) => typeof p.samples === 'number');
  const samples = parts.reduce((n, p) => n + (p.samples as number), 0);
  // Each partition took samples / sample_persec seconds of inference.
  let seconds = 0;
  for (const p of parts)
    if (typeof p.sample_persec === 'number' && p.sample_persec > 0) seconds += (p.samples as number) / p.sample_persec;
  const next: RunHeadline = { ...start, samples, partitions: parts.length };
  if (seconds > 0) next.samplesPerSec = samples / seconds;
  else delete next.samplesPerSec;
  const dirs = [
    ...new Set(
      parts
        .map((p) => p.data_path)
        .filter((d): d is string => typeof d === 'string' && d !== '')
        .map((d) => path.dirname(path.resolve(d))),
    ),
  ];
  if (dirs.length) {
    const marked = await Promise.all(
      dirs.map((d) =>
        access(path.join(d, SYNTHETIC_MARKER)).then(
          () => true,
          () => false,
        ),
      ),
    );
    next.syntheticData = marked.every(Boolean);
  }
  return next;
}
