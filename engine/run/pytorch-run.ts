import { spawn, execFile } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFINITIONS, PHYSICAL_DEFINITIONS } from '../../base/metric-catalogue.ts';
import { appDataDir } from '../data-dir.ts';
import { LocalRunError, type LocalRunHooks, type LocalRunResult } from './local-run.ts';
import { buildRecord, datasetAndAccuracy, partitionRecordOf, skipped } from './record-builder.ts';
import { defaultSampleData, openPartitions } from './partition-source.ts';
import { PredictionTable } from './predictions.ts';
import {
  bitsPerSampleOf,
  METRIC_DEFINITIONS,
  type LocalRunRecord,
  type PartitionRecord,
  type RunStatus,
  type StudyProfiler,
} from '../../base/local-run-record.ts';
import type { PartitionMeasurement } from './worker-protocol.ts';

/**
 * The PyTorch local engine: the user's whole-model checkpoint (the file they stage to the study's pipeline) run by
 * the workstation's Python through engine/run/pytorch_runner.py, which loads and calls it as the study's script
 * does and measures both families (physical, and the torch profiler's as the study computes them). Progress
 * arrives as JSON lines; cancel sends SIGTERM (the runner stops before its next batch), then SIGKILL after a grace.
 */

export const PYTORCH_RUNNER = fileURLToPath(new URL('./pytorch_runner.py', import.meta.url));

export interface PytorchRunOptions {
  /** The whole-model checkpoint (torch.save of a DataParallel-wrapped model). */
  model: string;
  /** Folder put on sys.path before loading (the study's code folder); default: the checkpoint's folder. */
  code?: string;
  /** Interpreter with PyTorch; default python3. */
  python?: string;
  data?: string | string[];
  batchSize?: number;
  /** torch.set_num_threads; default: torch's own default. */
  threads?: number;
  /** Skip the torch profiler (no study fields; the physical numbers then carry no profiler overhead). */
  noProfiler?: boolean;
  dataDir?: string;
}

const MB = 1 << 20;

/** Checks that `python` runs and imports torch; returns its torch version or throws LocalRunError('bad-option'). */
export function checkTorch(python: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ['-c', 'import torch, sys; print(torch.__version__)'],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout.trim());
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          return reject(
            new LocalRunError(
              'bad-option',
              `cannot run Python '${python}': no such program; pass --python with an interpreter that has PyTorch`,
            ),
          );
        }
        const last = String(stderr).trim().split('\n').pop() ?? err.message;
        reject(
          new LocalRunError(
            'bad-option',
            `'${python}' cannot import torch (${last}); install PyTorch for it (e.g. '${python} -m pip install torch') or pass --python with one that has it`,
          ),
        );
      },
    );
  });
}

interface RunnerPartition {
  type: 'partition';
  partition: number;
  path: string;
  status: 'completed' | 'cancelled' | 'failed';
  error: string | null;
  samplesInFile?: number;
  samples?: number;
  batches?: number;
  inferenceSeconds?: number;
  loadSeconds?: number;
  cpuSeconds?: number;
  peakRssBytes?: number;
  maxRssBytes?: number;
  batchMs?: number[];
  nanInputs?: number;
  infInputs?: number;
  bits?: number;
  study?: StudyProfiler | null;
  zPred?: Array<number | null>;
  zTrue?: Array<number | null> | null;
}

type RunnerMessage =
  | {
      type: 'ready';
      sessionSeconds: number;
      rssBytes: number;
      torch: string;
      python: string;
      threads: number;
      parameters: number;
    }
  | {
      type: 'progress';
      phase: 'loading' | 'inferring';
      partition: number;
      batchesDone?: number;
      samplesDone?: number;
      samplesPerSec?: number;
    }
  | RunnerPartition
  | { type: 'done'; cancelled: boolean }
  | { type: 'fatal'; message: string };

const floats = (xs: Array<number | null>) => Float32Array.from(xs, (x) => (x === null ? Number.NaN : x));

/** The study's fields over several partitions, as its script computes them for a rank given a list of files. */
export function combineStudyProfiler(
  parts: Array<{ study: StudyProfiler; samples: number; bits: number }>,
  batchSize: number,
): StudyProfiler | null {
  if (parts.length === 0) return null;
  const t = parts.reduce((s, p) => s + p.study['total_cpu_time (seconds)'], 0);
  const samples = parts.reduce((s, p) => s + p.samples, 0);
  const bits = parts.reduce((s, p) => s + p.bits, 0);
  const ok = t > 0 && samples > 0;
  return {
    'total_cpu_time (seconds)': t,
    'total_cpu_memory (MB)': parts.reduce((s, p) => s + p.study['total_cpu_memory (MB)'], 0),
    'execution_time (seconds/batch)': ok ? t / (samples / batchSize) : 0,
    num_batches: parts.reduce((s, p) => s + p.study.num_batches, 0),
    batch_size: batchSize,
    device: 'cpu',
    throughput_bps: ok ? bits / t : 0,
    sample_persec: ok ? samples / t : 0,
  };
}

export const PYTORCH_METRIC_DEFINITIONS: Record<string, string> = {
  ...METRIC_DEFINITIONS,
  'total_cpu_time (seconds)':
    "User + system CPU time of the Python process (time.process_time, all threads) over each batch's model call " +
    'and bit counting, summed.',
  'total_cpu_memory (MB)':
    'Peak resident set size of the Python process in MB (2^20 bytes), sampled after loading ' +
    'and after every batch.',
  inference_seconds:
    "Wall time of each batch's model call and bit counting, summed (the DataLoader's batch " +
    "assembly and the study's per-batch gc.collect() excluded). With the profiler on, includes its overhead.",
  session_seconds: 'torch.load of the checkpoint (unpickling the whole model).',
  study_profiler:
    DEFINITIONS['cpu.profiler'].text +
    ' ' +
    DEFINITIONS['memory.profiler-alloc-sum'].text +
    ' execution_time = that time ÷ (samples ÷ batch size); throughput_bps and sample_persec over that time. For the ' +
    "run: the partitions' profiler times and allocations summed, rates over the sums (as the script does for a rank " +
    'given several files).',
  device: "'cpu' (PyTorch eager on the CPU).",
};

/**
 * Runs a PyTorch checkpoint over the dataset with the workstation's Python. Resolves like runLocal (record,
 * predictions, table); rejects with LocalRunError('bad-option') when Python or torch is missing, ('session') when
 * the checkpoint cannot be loaded, ('worker') when the runner dies (with what was computed in `partial`).
 */
export async function runPytorchLocal(opts: PytorchRunOptions, hooks: LocalRunHooks = {}): Promise<LocalRunResult> {
  const started = new Date();
  const t0 = performance.now();
  const batchSize = opts.batchSize ?? 512;
  if (!Number.isInteger(batchSize) || batchSize <= 0 || batchSize > 65536) {
    throw new LocalRunError(
      'bad-option',
      `batch size must be a whole number from 1 to 65536, got ${String(opts.batchSize)}`,
    );
  }
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads <= 0)) {
    throw new LocalRunError('bad-option', `threads must be a positive whole number, got ${String(opts.threads)}`);
  }
  if (!opts.model)
    throw new LocalRunError('bad-option', 'the PyTorch engine needs a checkpoint: pass --model CHECKPOINT.pt');
  const python = opts.python ?? 'python3';
  const modelPath = path.resolve(opts.model);
  const code = path.resolve(opts.code ?? path.dirname(modelPath));
  await checkTorch(python);
  const dataDir = opts.dataDir ?? appDataDir();
  const spec =
    opts.data === undefined ? [await defaultSampleData(dataDir)] : Array.isArray(opts.data) ? opts.data : [opts.data];
  if (spec.length === 0) throw new LocalRunError('no-data', 'no data given: pass one or more .pt files or folders');
  const dataset = await openPartitions(spec);
  if (dataset.partitions.length === 0)
    throw new LocalRunError('no-data', `no .pt partitions found in ${spec.join(', ')}`);
  const allRefs = [...dataset.partitions, ...dataset.unreadable.map((u) => u.ref)].sort((a, b) => a.index - b.index);
  const runnable = dataset.partitions;
  const bitsPerSample = new Map(runnable.map((p) => [p.index, bitsPerSampleOf(p.dtypes)]));
  const batchesTotal = runnable.reduce((s, p) => s + Math.ceil(p.samples / batchSize), 0);

  const measurements = new Map<number, PartitionMeasurement>();
  const studies = new Map<number, { study: StudyProfiler; samples: number; bits: number }>();
  const pieces = new Map<number, PredictionTable>();
  for (const u of dataset.unreadable) {
    measurements.set(u.ref.index, {
      ...skipped(u.ref.index, u.ref.path, 0),
      status: 'failed',
      error: u.error,
    });
  }
  const offsets = new Map<number, number>();
  let acc = 0;
  for (const p of runnable) {
    offsets.set(p.index, acc);
    acc += p.samples;
  }
  let ready: Extract<RunnerMessage, { type: 'ready' }> | null = null;
  let maxRss = 0;

  const finish = (status: RunStatus, error: string | null): LocalRunResult => {
    const partitions = allRefs.map((ref) => measurements.get(ref.index) ?? skipped(ref.index, ref.path, ref.samples));
    const table = PredictionTable.concat(allRefs.flatMap((ref) => pieces.get(ref.index) ?? []));
    const base = buildRecord({
      started,
      wallSeconds: (performance.now() - t0) / 1000,
      status,
      error,
      sessionSeconds: ready?.sessionSeconds ?? 0,
      sessionRss: ready?.rssBytes ?? 0,
      valid: {
        batchSize,
        threads: ready?.threads ?? opts.threads ?? 1,
        graphOptimization: 'disabled',
        precision: 'fp32',
        spinning: false,
      },
      model: {
        path: modelPath,
        label: path.basename(modelPath),
        reference: false,
        parameters: ready?.parameters ?? 0,
        flopsPerSample: null,
      },
      ...datasetAndAccuracy(spec, allRefs, dataset, table),
      partitions,
      bitsPerSample,
    });
    const record: LocalRunRecord = {
      ...base,
      max_rss_mb: Math.max(maxRss / MB, base['total_cpu_memory (MB)']),
      partitions: base.partitions.map((p) => withStudy(p, studies.get(p.partition), opts.noProfiler === true)),
      study_profiler: opts.noProfiler ? null : combineStudyProfiler([...studies.values()], batchSize),
      metricDefinitions: PYTORCH_METRIC_DEFINITIONS,
      definitions: { ...PHYSICAL_DEFINITIONS },
      engine: 'pytorch',
      runtime: { python, pythonVersion: ready?.python ?? '', torch: ready?.torch ?? '', threads: ready?.threads ?? 0 },
    };
    return { record, predictions: table.toRows(), table };
  };

  hooks.onProgress?.({
    phase: 'session',
    partition: 0,
    partitions: allRefs.length,
    batchesDone: 0,
    batchesTotal,
    samplesDone: 0,
    samplesTotal: dataset.samples,
    samplesPerSec: 0,
    etaSeconds: null,
  });
  const args = [PYTORCH_RUNNER, '--model', modelPath, '--code', code, '--batch-size', String(batchSize)];
  if (opts.threads) args.push('--threads', String(opts.threads));
  if (opts.noProfiler) args.push('--no-profiler');
  args.push(...runnable.map((p) => p.path));
  const child = spawn(python, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });

  return await new Promise<LocalRunResult>((resolve, reject) => {
    let settled = false;
    let cancelled = false;
    let done: { cancelled: boolean } | null = null;
    let fatal: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    let batchesDone = 0;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      cancelled = true;
      child.kill('SIGTERM');
      const slowest = Math.max(0, ...[...measurements.values()].flatMap((m) => m.batchMs));
      killTimer = setTimeout(() => child.kill('SIGKILL'), Math.max(10_000, 3 * slowest + 10_000));
    };
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let msg: RunnerMessage;
      try {
        msg = JSON.parse(line) as RunnerMessage;
      } catch {
        stderr = (stderr + `\n(stdout) ${line}`).slice(-4000); // a print() in the user's model code
        return;
      }
      switch (msg.type) {
        case 'ready':
          ready = msg;
          break;
        case 'progress': {
          if (msg.phase === 'inferring') batchesDone++;
          const done = msg.samplesDone ?? 0;
          const rate = msg.samplesPerSec ?? 0;
          hooks.onProgress?.({
            phase: msg.phase,
            partition: msg.partition,
            partitions: allRefs.length,
            batchesDone,
            batchesTotal,
            samplesDone: done,
            samplesTotal: dataset.samples,
            samplesPerSec: rate,
            etaSeconds: rate > 0 ? (dataset.samples - done) / rate : null,
          });
          break;
        }
        case 'partition': {
          const ref = runnable[msg.partition - 1];
          const index = ref?.index ?? msg.partition;
          const m: PartitionMeasurement = {
            ...skipped(index, msg.path, msg.samplesInFile ?? ref?.samples ?? 0),
            status: msg.status,
            error: msg.error,
            samples: msg.samples ?? 0,
            batches: msg.batches ?? 0,
            inferenceSeconds: msg.inferenceSeconds ?? 0,
            loadSeconds: msg.loadSeconds ?? 0,
            cpuSeconds: msg.cpuSeconds ?? 0,
            peakRssBytes: msg.peakRssBytes ?? 0,
            batchMs: msg.batchMs ?? [],
            nanInputs: msg.nanInputs ?? 0,
            infInputs: msg.infInputs ?? 0,
          };
          maxRss = Math.max(maxRss, msg.maxRssBytes ?? 0);
          measurements.set(index, m);
          if (msg.study) studies.set(index, { study: msg.study, samples: m.samples, bits: msg.bits ?? 0 });
          hooks.onPartition?.(
            withStudy(
              partitionRecordOf(m, batchSize, bitsPerSample.get(index)),
              studies.get(index),
              opts.noProfiler === true,
            ),
          );
          if (m.samples > 0 && msg.zPred) {
            const offset = offsets.get(index) ?? 0;
            pieces.set(
              index,
              new PredictionTable({
                index: Int32Array.from({ length: m.samples }, (_, i) => offset + i),
                partition: new Int32Array(m.samples).fill(index),
                zTrue: msg.zTrue ? floats(msg.zTrue) : new Float32Array(m.samples).fill(Number.NaN),
                zPred: floats(msg.zPred),
              }),
            );
          }
          break;
        }
        case 'done':
          done = msg;
          break;
        case 'fatal':
          fatal = msg.message;
          break;
      }
    });
    child.on('error', (err) =>
      settle(() => reject(new LocalRunError('bad-option', `cannot start ${python}: ${err.message}`))),
    );
    child.on('close', (code, signal) => {
      const all = [...measurements.values()];
      const ran = all.filter((m) => m.status === 'completed' || m.status === 'cancelled');
      const failed = all.filter((m) => m.status === 'failed');
      if (done || (cancelled && signal)) {
        const wasCancelled = cancelled || done?.cancelled === true;
        let status: RunStatus = wasCancelled ? 'cancelled' : 'completed';
        let error: string | null =
          cancelled && signal ? 'the runner did not stop in time after cancel and was killed' : null;
        if (failed.length > 0) {
          error = `${failed.length} of ${all.length} partition(s) failed: ` + failed.map((m) => m.error).join('; ');
          if (ran.length === 0 && !wasCancelled) status = 'failed';
        }
        settle(() => resolve(finish(status, error)));
        return;
      }
      const why =
        fatal ??
        `the PyTorch runner exited (${signal ? `signal ${signal}` : `code ${code}`}) before finishing: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
      if (!ready || measurements.size === dataset.unreadable.length) {
        settle(() => reject(new LocalRunError(code === 3 ? 'bad-option' : 'session', why)));
      } else {
        settle(() => reject(new LocalRunError('worker', `local run failed: ${why}`, finish('failed', why))));
      }
    });
    if (hooks.signal?.aborted) onAbort();
    else hooks.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function withStudy(p: PartitionRecord, s: { study: StudyProfiler } | undefined, off: boolean): PartitionRecord {
  return { ...p, study_profiler: off ? null : (s?.study ?? null) };
}
