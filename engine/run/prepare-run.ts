import path from 'node:path';
import { appDataDir } from '../data-dir.ts';
import { prefetchIntoPageCache } from '../data/page-cache-prefetch.ts';
import { ensureReferenceModel } from '../model/model-cache.ts';
import { inspectModel } from '../model/model-info.ts';
import { QuantizeError } from '../model/quantize.ts';
import { ensureQuantizedModel } from '../model/quantized-cache.ts';
import { int8NeedsReducedRange } from '../model/int8-kernels.ts';
import { collectGarbage } from './collect-garbage.ts';
import { validateLocalRunOptions, type ValidOptions } from './local-run-options.ts';
import { LocalRunError, type LocalRunOptions } from './local-run-types.ts';
import { defaultSampleData, openPartitions } from './partition-source.ts';
import type { WorkerInit } from './worker-protocol.ts';
import { MAX_CALIBRATION_GALAXIES } from './worker-tuning.ts';

/** Everything a local run needs before its worker starts: checked options, the model (quantized if asked), data. */
export interface PreparedRun {
  started: Date;
  /** performance.now() at the start, for the wall time. */
  t0: number;
  valid: ValidOptions;
  spec: string[];
  modelPath: string;
  model: Awaited<ReturnType<typeof inspectModel>>;
  dataset: Awaited<ReturnType<typeof openPartitions>>;
  warmFirst: ReturnType<typeof prefetchIntoPageCache> | null;
  /** Readable and unreadable partitions, in dataset order. */
  allRefs: Array<{ index: number; path: string; samples: number }>;
  init: WorkerInit;
  cancelFlag: SharedArrayBuffer;
}

/**
 * Checks the options, finds the data and the model (making the int8 copy on first use) and starts warming the first
 * partition. Rejects with LocalRunError / ModelError / PtFormatError when the run cannot start.
 */
export async function prepareRun(opts: LocalRunOptions): Promise<PreparedRun> {
  const started = new Date();
  const t0 = performance.now();
  const valid = validateLocalRunOptions(opts);
  const dataDir = opts.dataDir ?? appDataDir();

  const spec =
    opts.data === undefined ? [await defaultSampleData(dataDir)] : Array.isArray(opts.data) ? opts.data : [opts.data!];
  if (spec.length === 0) throw new LocalRunError('no-data', 'no data given: pass one or more .pt files or folders');
  const modelPath = opts.model ?? (await ensureReferenceModel(dataDir));
  const model = await inspectModel(modelPath);
  let runModelPath = modelPath;
  if (valid.precision === 'int8') {
    try {
      runModelPath = await ensureQuantizedModel(modelPath, path.join(dataDir, 'models', 'int8'), {
        reduceRange: int8NeedsReducedRange(),
      });
    } catch (err) {
      if (err instanceof QuantizeError) throw new LocalRunError('bad-option', `precision int8: ${err.message}`);
      throw err;
    }
  }
  const dataset = await openPartitions(spec);
  if (dataset.partitions.length === 0) {
    throw new LocalRunError('no-data', `no .pt partitions found in ${spec.join(', ')}`);
  }
  // Into the page cache while the worker and its session start (see page-cache-prefetch.ts).
  const warmFirst = dataset.partitions.length > 0 ? prefetchIntoPageCache(dataset.partitions[0].path) : null;
  collectGarbage(); // the model file inspected (and quantized) above: ~63 MB that would otherwise count in peak RSS
  const allRefs = [...dataset.partitions, ...dataset.unreadable.map((u) => u.ref)].sort((a, b) => a.index - b.index);

  const cancelFlag = new SharedArrayBuffer(4);
  const init: WorkerInit = {
    modelPath: runModelPath,
    binding: model.binding,
    partitions: dataset.partitions,
    partitionCount: allRefs.length,
    batchSize: valid.batchSize,
    threads: valid.threads,
    graphOptimization: valid.graphOptimization,
    spinning: valid.spinning,
    geluApproximation: valid.geluApproximation ?? false,
    tune:
      valid.tune === 'auto'
        ? {
            cacheDir: path.join(dataDir, 'tuning'),
            precision: valid.precision,
            fixedThreads: valid.fixedThreads ?? null,
            fixedSpinning: valid.fixedSpinning ?? null,
            galaxies: Math.min(valid.batchSize, MAX_CALIBRATION_GALAXIES),
          }
        : null,
    cancelFlag,
  };
  return { started, t0, valid, spec, modelPath, model, dataset, warmFirst, allRefs, init, cancelFlag };
}
