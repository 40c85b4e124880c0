// The engine's data path alone (no model): read + parse + batching of `.pt` partitions, as the inference worker
// does it, in GB/s (file bytes / 1e9 / seconds), best and median of --repeat passes, plus the process's peak RSS.
//   node bin/run-ts.mjs bench/data-path.ts [--batch-size 64] [--repeat 5] [--mode streamed|whole] [--thrash] DATA...
// `streamed` is the worker's path (openPartitionStream: CRC pass, then one positioned read per tensor per batch);
// `whole` reads every file into memory with readGalaxyPartition and takes batches as views (the path before
// streaming, and still the fallback for files that cannot be streamed). Both count NaN/Inf per batch, as the worker does.
// Run one mode per process so that the peak RSS is that mode's own. --thrash writes 32 MB between batches (not
// timed), so the reads meet cold caches as they do after a batch of inference.
import { parseArgs } from 'node:util';
import { batches, resolvePartitionFiles } from '../engine/data/dataset.ts';
import { readGalaxyPartition } from '../engine/data/pt-reader.ts';
import { allocateBatchBuffers, openPartitionStream } from '../engine/data/pt-stream.ts';
import { countNonFinite } from '../engine/run/non-finite.ts';
import { collectGarbage } from '../engine/run/collect-garbage.ts';
import fs from 'node:fs';

const { values, positionals } = parseArgs({
  options: {
    'batch-size': { type: 'string', default: '64' },
    repeat: { type: 'string', default: '5' },
    mode: { type: 'string', default: 'streamed' },
    thrash: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const batchSize = Number(values['batch-size']);
const repeat = Number(values.repeat);
const mode = values.mode;
if (mode !== 'streamed' && mode !== 'whole') throw new Error(`--mode must be streamed or whole, not '${mode}'`);
const files = await resolvePartitionFiles(
  positionals.length ? positionals : ['/tmp/cosmicai-bench/sample-data/large-50000'],
);
const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0);
const buffers = allocateBatchBuffers(batchSize);

/** Optional: evict the caches between batches, as the model's activations do in a real run. */
const thrash = values.thrash ? new Float64Array((32 << 20) / 8) : null;
let openSeconds = 0;

async function pass(): Promise<{ seconds: number; samples: number; nonFinite: number }> {
  openSeconds = 0;
  let seconds = 0;
  let samples = 0;
  let nonFinite = 0;
  for (const file of files) {
    collectGarbage(); // as the worker does before each partition
    let t = performance.now();
    if (mode === 'whole') {
      const p = await readGalaxyPartition(file);
      for (const b of batches(p, batchSize)) {
        const nf = countNonFinite(b.images, b.magnitudes);
        nonFinite += nf.nan + nf.inf;
        samples += b.count;
      }
      seconds += (performance.now() - t) / 1000;
      continue;
    }
    const s = await openPartitionStream(file);
    openSeconds += (performance.now() - t) / 1000;
    seconds += (performance.now() - t) / 1000;
    for (let start = 0; start < s.samples; start += batchSize) {
      if (thrash) for (let i = 0; i < thrash.length; i += 8) thrash[i] += 1;
      t = performance.now();
      const b = s.read(start, Math.min(batchSize, s.samples - start), buffers);
      const nf = countNonFinite(b.images, b.magnitudes);
      seconds += (performance.now() - t) / 1000;
      nonFinite += nf.nan + nf.inf;
      samples += b.count;
    }
    s.close();
  }
  return { seconds, samples, nonFinite };
}

const rates: number[] = [];
for (let r = 0; r < repeat; r++) {
  const { seconds, samples } = await pass();
  rates.push(bytes / 1e9 / seconds);
  process.stderr.write(
    `pass ${r + 1}: ${samples} galaxies, ${seconds.toFixed(3)} s (open ${openSeconds.toFixed(3)} s), ${rates.at(-1)!.toFixed(2)} GB/s\n`,
  );
}
const sorted = [...rates].sort((a, b) => a - b);
process.stdout.write(
  JSON.stringify({
    mode,
    batchSize,
    files: files.length,
    bytes,
    bestGBps: sorted.at(-1),
    medianGBps: sorted[Math.floor(sorted.length / 2)],
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
