#!/usr/bin/env node
// Writes examples/recorded-results/: EXAMPLE DATA for the app's "Import example data" button, in the layout the
// study's stats.py reads (result-partition-<P>MB/<data>/[Batches/<batch>/]<run>/combined_data.json). The numbers are
// made up: shaped after the figures the class report published (s/batch per batch size and per partition size,
// /work/shared/cai/study-report-tables.md), with one rank per partition and a little deterministic spread between
// ranks and repeats. They are not measurements. Run: node tools/make-example-results.mjs
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../examples/recorded-results');
let seed = 19;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const jitter = (x, rel) => x * (1 + (rand() * 2 - 1) * rel);
const round = (x, d) => Number(x.toFixed(d));

const GALAXY_BYTES = 5 * 32 * 32 * 4 + 5 * 4 + 4; // image, magnitudes, redshift (float32)
const rank = (p, { dir, part, batch, secPerBatch, memMb }) => {
  const samples = Math.floor((p * 2 ** 20) / GALAXY_BYTES);
  const batches = Math.ceil(samples / batch);
  const spb = round(jitter(secPerBatch, 0.08), 4);
  return {
    'total_cpu_time (seconds)': round(spb * batches * jitter(0.97, 0.02), 3),
    'total_cpu_memory (MB)': round(jitter(memMb, 0.03), 1),
    'execution_time (seconds/batch)': spb,
    num_batches: batches,
    batch_size: batch,
    device: 'cpu',
    throughput_bps: round((batch * GALAXY_BYTES * 8) / spb, 1),
    sample_persec: round(batch / spb, 2),
    result_path: dir,
    data_path: `${p}MB/${part}.pt`,
  };
};

rmSync(out, { recursive: true, force: true });
const write = (dir, ranks) => {
  mkdirSync(path.join(out, dir), { recursive: true });
  writeFileSync(path.join(out, dir, 'combined_data.json'), JSON.stringify(ranks) + '\n');
};

// Data-size sweep: 1 GB and 2 GB at four partition sizes, batch 512, two repeats, one rank per partition.
const PARTITIONS = {
  25: { spb: 1.48, mem: 1750 },
  50: { spb: 1.08, mem: 2560 },
  75: { spb: 1.32, mem: 3580 },
  100: { spb: 1.67, mem: 4400 },
};
for (const [p, v] of Object.entries(PARTITIONS).map(([k, x]) => [Number(k), x])) {
  for (const gb of [1, 2]) {
    for (const repeat of [1, 2]) {
      const dir = `result-partition-${p}MB/${gb}GB/${repeat}`;
      const n = Math.ceil((gb * 1024) / p);
      const secPerBatch = v.spb * (gb === 2 ? 1.03 : 1);
      write(
        dir,
        Array.from({ length: n }, (_, i) => rank(p, { dir, part: i + 1, batch: 512, secPerBatch, memMb: v.mem })),
      );
    }
  }
}
// Batch-size sweep: 50 MB partitions of 1 GB, ten ranks, two repeats.
const BATCHES = { 32: 0.18, 64: 0.3, 128: 0.59, 256: 1.08, 512: 2.19 };
for (const [b, spb] of Object.entries(BATCHES).map(([k, x]) => [Number(k), x])) {
  for (const repeat of [1, 2]) {
    const dir = `result-partition-50MB/1GB/Batches/${b}/${repeat}`;
    const memMb = 1300 + b * 5;
    write(
      dir,
      Array.from({ length: 10 }, (_, i) => rank(50, { dir, part: i + 1, batch: b, secPerBatch: spb, memMb })),
    );
  }
}
writeFileSync(
  path.join(out, 'README.md'),
  [
    '# Example data (not measurements)',
    '',
    "Made-up recorded results in the study's folder layout, for trying the app without AWS: Import results →",
    '"Import example data". Written by `tools/make-example-results.mjs`; the per-batch times are shaped after the',
    'figures the class report published (see that script), with one rank per partition and a small deterministic',
    'spread. Every run imported from here is named "Example data · …" in History.',
    '',
  ].join('\n'),
);
console.log(`wrote ${out}`);
