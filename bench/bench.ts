/**
 * `npm run bench`: the local engine (worker thread, .pt streaming and batching included) on a fixed synthetic
 * dataset over batch sizes × thread counts, and the same architecture in PyTorch where /usr/bin/python3 has
 * torch. Every configuration runs in a fresh process, so peak RSS belongs to that configuration alone.
 *
 *   npm run bench                      # batch 32..512 x threads 1..physical cores
 *   npm run bench -- --quick           # batch 256 and 512 at all physical cores: a couple of minutes
 *   npm run bench -- --batch-sizes 64,512 --threads 2 --no-torch
 *
 * Writes bench/results/<date>.json with the host, the dataset, the model and every measurement.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolvePartitionFiles } from '../engine/data/dataset.ts';
import { ensureDefaultSampleData } from '../engine/data/sample-data.ts';
import { ensureReferenceModel } from '../engine/model/model-cache.ts';
import { inspectModel } from '../engine/model/model-info.ts';
import { hostInfo } from '../engine/run/host-info.ts';
import type { LocalRunRecord } from '../engine/run/run-record.ts';
import { formatTable } from '../app/cli/local-table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = '/usr/bin/python3';
/** glibc malloc tuned so PyTorch does not re-map its large temporaries every batch (its fast configuration). */
const TORCH_MALLOC_ENV = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '68719476736', MALLOC_TOP_PAD_: '1073741824' };
const MiB = 1 << 20;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'batch-sizes': { type: 'string' },
    threads: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
    'cache-dir': { type: 'string' },
    out: { type: 'string' },
  },
});

const host = hostInfo();
const cores = host.physicalCores;
const numberList = (s: string, what: string) =>
  s.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${what}: '${x}' is not a positive whole number`);
    return n;
  });
const batchSizes = values['batch-sizes'] ? numberList(values['batch-sizes'], 'batch-sizes') : values.quick ? [256, 512] : [32, 64, 128, 256, 512];
const threadCounts = values.threads
  ? numberList(values.threads, 'threads')
  : values.quick
    ? [cores]
    : Array.from({ length: cores }, (_, i) => i + 1);

interface ChildResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

function lastJson<T>(r: ChildResult, what: string): T {
  const line = r.stdout.trim().split('\n').at(-1);
  if (r.code !== 0 || !line) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(line) as T;
}

interface TorchResult {
  torch: string;
  threads: number;
  batch_size: number;
  samples: number;
  batches: number;
  bytes: number;
  load_seconds: number;
  inference_seconds: number;
  sample_persec: number;
  seconds_per_batch: number;
  latency_ms: { p50: number; p90: number; p99: number };
  peak_rss_mb: number;
}

type EngineResult = Omit<LocalRunRecord, 'metricDefinitions' | 'host'>;

interface ConfigResult {
  batchSize: number;
  threads: number;
  engine: {
    samplesPerSec: number;
    secondsPerBatch: number;
    gflops: number | null;
    peakRssMb: number;
    /** Sampled during the run (the record's total_cpu_memory); peakRssMb is the OS high-water mark. */
    sampledRssMb: number;
    loadMBps: number;
    cpuSeconds: number;
    inferenceSeconds: number;
    latencyMs: EngineResult['latency_ms'];
  } | { error: string };
  torch: {
    samplesPerSec: number;
    secondsPerBatch: number;
    gflops: number | null;
    peakRssMb: number;
    loadMBps: number;
    latencyMs: TorchResult['latency_ms'];
  } | { error: string } | null;
  /** engine samples/s ÷ PyTorch samples/s. */
  ratio: number | null;
}

function torchAvailable(): { version: string } | { skipped: string } {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { skipped: `${PYTHON} not found (${r.error.message})` };
  if (r.status !== 0) return { skipped: `${PYTHON} cannot import torch: ${r.stderr.trim().split('\n').at(-1)}` };
  return { version: r.stdout.trim() };
}

const started = new Date();
const cacheDir = values['cache-dir'] ?? path.join(os.tmpdir(), 'cosmicai-bench');
process.stderr.write(`preparing the fixed dataset and the reference model in ${cacheDir}…\n`);
const dataDir = await ensureDefaultSampleData(cacheDir);
const files = await resolvePartitionFiles(dataDir);
const modelPath = await ensureReferenceModel(cacheDir);
const model = await inspectModel(modelPath);
const torch = values['no-torch'] ? { skipped: '--no-torch given' } : torchAvailable();
if ('skipped' in torch) process.stderr.write(`PyTorch baseline skipped: ${torch.skipped}\n`);
const flops = model.flopsPerSample;
const gflops = (sps: number) => (flops === null ? null : (flops * sps) / 1e9);

const results: ConfigResult[] = [];
let datasetSamples = 0;
let datasetBytes = 0;
for (const threads of threadCounts) {
  for (const batchSize of batchSizes) {
    process.stderr.write(`batch ${batchSize}, ${threads} thread(s): engine…`);
    const cfg: ConfigResult = { batchSize, threads, engine: { error: 'not run' }, torch: null, ratio: null };
    try {
      const rec = lastJson<EngineResult>(
        await run(process.execPath, [
          'bin/run-ts.mjs', 'bench/engine-once.ts', '--model', modelPath, '--batch-size', String(batchSize), '--threads', String(threads), ...files,
        ]),
        'engine run',
      );
      datasetSamples = rec.dataset.samples;
      datasetBytes = rec.dataset.bytes;
      cfg.engine = {
        samplesPerSec: rec.sample_persec,
        secondsPerBatch: rec['execution_time (seconds/batch)'],
        gflops: gflops(rec.sample_persec),
        peakRssMb: rec.max_rss_mb,
        sampledRssMb: rec['total_cpu_memory (MB)'],
        loadMBps: rec.load_seconds > 0 ? rec.dataset.bytes / MiB / rec.load_seconds : 0,
        cpuSeconds: rec['total_cpu_time (seconds)'],
        inferenceSeconds: rec.inference_seconds,
        latencyMs: rec.latency_ms,
      };
      process.stderr.write(` ${rec.sample_persec.toFixed(1)} galaxies/s`);
    } catch (err) {
      cfg.engine = { error: (err as Error).message };
      process.stderr.write(` failed: ${(err as Error).message}`);
    }
    if ('version' in torch) {
      process.stderr.write('; PyTorch…');
      try {
        const t = lastJson<TorchResult>(
          await run(PYTHON, ['bench/torch_baseline.py', '--threads', String(threads), '--batch-size', String(batchSize), ...files], {
            ...process.env,
            ...TORCH_MALLOC_ENV,
          }),
          'PyTorch run',
        );
        cfg.torch = {
          samplesPerSec: t.sample_persec,
          secondsPerBatch: t.seconds_per_batch,
          gflops: gflops(t.sample_persec),
          peakRssMb: t.peak_rss_mb,
          loadMBps: t.load_seconds > 0 ? t.bytes / MiB / t.load_seconds : 0,
          latencyMs: t.latency_ms,
        };
        if ('samplesPerSec' in cfg.engine && t.sample_persec > 0) cfg.ratio = cfg.engine.samplesPerSec / t.sample_persec;
        process.stderr.write(` ${t.sample_persec.toFixed(1)} galaxies/s`);
      } catch (err) {
        cfg.torch = { error: (err as Error).message };
        process.stderr.write(` failed: ${(err as Error).message}`);
      }
    }
    process.stderr.write('\n');
    results.push(cfg);
  }
}

const f = (x: number | null | undefined, d: number) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const headers = [
  'batch', 'threads', 'samples/s', 's/batch', 'GFLOP/s', 'peak RSS (MB)', 'load (MB/s)', 'torch samples/s', 'torch s/batch', 'torch peak RSS (MB)', 'engine/torch',
];
const rows = results.map((r) => {
  const e = 'error' in r.engine ? null : r.engine;
  const t = r.torch && !('error' in r.torch) ? r.torch : null;
  return [
    String(r.batchSize), String(r.threads),
    e ? f(e.samplesPerSec, 1) : 'failed', f(e?.secondsPerBatch, 3), f(e?.gflops, 1), f(e?.peakRssMb, 0), f(e?.loadMBps, 0),
    t ? f(t.samplesPerSec, 1) : r.torch ? 'failed' : 'skipped', f(t?.secondsPerBatch, 3), f(t?.peakRssMb, 0),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
  ];
});
process.stdout.write(
  `\nCosmicAI Bench — local engine vs PyTorch, ${datasetSamples} synthetic galaxies (${(datasetBytes / MiB).toFixed(1)} MB), ` +
    `${model.label ?? modelPath}\n` +
    `host: ${host.cpuModel}, ${host.physicalCores} physical / ${host.logicalCores} logical cores, ${(host.ramBytes / 2 ** 30).toFixed(1)} GB, ` +
    `${host.os}, Node ${host.node}, onnxruntime ${host.onnxruntime}` +
    ('version' in torch ? `, torch ${torch.version} (malloc tuned: ${Object.entries(TORCH_MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})` : '') +
    `, flags ${host.cpuFlags.join(' ') || '(unknown)'}\n\n` +
    formatTable(headers, rows, headers.map(() => true)) + '\n' +
    ('skipped' in torch ? `\nPyTorch baseline skipped: ${torch.skipped}\n` : '') +
    `GFLOP/s = ${flops === null ? '?' : (flops / 1e6).toFixed(1)} MFLOP per galaxy × samples/s; peak RSS = the process's OS high-water mark; ` +
    'samples/s and s/batch over inference wall time (load excluded).\n',
);

const stamp = started.toISOString().replace(/:/g, '').replace(/\.\d+Z$/, 'Z');
const outFile = values.out ?? path.join(ROOT, 'bench', 'results', `${stamp}.json`);
await mkdir(path.dirname(outFile), { recursive: true });
await writeFile(
  outFile,
  JSON.stringify(
    {
      started: started.toISOString(),
      finished: new Date().toISOString(),
      quick: values.quick,
      host,
      dataset: { path: dataDir, files, samples: datasetSamples, bytes: datasetBytes, synthetic: true },
      model: { path: modelPath, label: model.label, parameters: model.parameters, flopsPerSample: flops },
      torch: 'version' in torch ? { version: torch.version, python: PYTHON, env: TORCH_MALLOC_ENV } : { skipped: torch.skipped },
      results,
    },
    null,
    2,
  ) + '\n',
);
process.stderr.write(`results written to ${path.relative(process.cwd(), outFile) || outFile}\n`);
