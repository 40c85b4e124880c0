import { LocalRunError, runLocal, type LocalRunHooks, type LocalRunOptions, type LocalRunResult } from './local-run.ts';
import { runPytorchLocal } from './pytorch-run.ts';

/** The local engines: onnxruntime in a worker thread (default), or PyTorch through the workstation's Python. */
export const LOCAL_ENGINES = ['onnxruntime', 'pytorch'] as const;
export type LocalEngine = (typeof LOCAL_ENGINES)[number];

export interface EngineRunOptions extends LocalRunOptions {
  engine?: LocalEngine;
  /** PyTorch: folder put on sys.path before loading the checkpoint (default: the checkpoint's folder). */
  code?: string;
  /** PyTorch: the interpreter (default python3). */
  python?: string;
  /** PyTorch: run without the torch profiler (no study profiler fields). */
  noProfiler?: boolean;
}

/** Runs on the chosen engine; PyTorch refuses the onnxruntime-only options rather than ignoring them. */
export function runLocalEngine(opts: EngineRunOptions = {}, hooks: LocalRunHooks = {}): Promise<LocalRunResult> {
  const engine = opts.engine ?? 'onnxruntime';
  if (!LOCAL_ENGINES.includes(engine)) {
    return Promise.reject(
      new LocalRunError('bad-option', `engine must be one of ${LOCAL_ENGINES.join(', ')}, got ${String(engine)}`),
    );
  }
  if (engine === 'onnxruntime') {
    if (opts.code || opts.python || opts.noProfiler) {
      return Promise.reject(
        new LocalRunError(
          'bad-option',
          'code folder, Python and profiler options apply to the PyTorch engine only (--engine pytorch)',
        ),
      );
    }
    return runLocal(opts, hooks);
  }
  if (opts.tune === 'auto')
    return Promise.reject(
      new LocalRunError('bad-option', 'host tuning (--tune auto) is an onnxruntime option; PyTorch runs as configured'),
    );
  if (opts.precision === 'int8')
    return Promise.reject(
      new LocalRunError(
        'bad-option',
        'the PyTorch engine runs the checkpoint as saved (fp32); int8 is an onnxruntime option',
      ),
    );
  if (opts.graphOptimization && opts.graphOptimization !== 'all') {
    return Promise.reject(
      new LocalRunError('bad-option', 'graph optimisation is an onnxruntime option; the PyTorch engine runs eagerly'),
    );
  }
  if (!opts.model)
    return Promise.reject(
      new LocalRunError('bad-option', 'the PyTorch engine needs a checkpoint: pass --model CHECKPOINT.pt'),
    );
  return runPytorchLocal(
    {
      model: opts.model,
      code: opts.code,
      python: opts.python,
      data: opts.data,
      batchSize: opts.batchSize,
      threads: opts.threads,
      noProfiler: opts.noProfiler,
      dataDir: opts.dataDir,
    },
    hooks,
  );
}
