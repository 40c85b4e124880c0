import {
  DEFAULT_BATCH_SIZE,
  GRAPH_OPTIMIZATIONS,
  MAX_BATCH_SIZE,
  MAX_THREADS,
  PRECISIONS,
  type GraphOptimization,
  type Precision,
} from '../../base/options.ts';
import { TUNE_MODES, type TuneMode } from '../../base/tuning-record.ts';
import { hostInfo } from './host-info.ts';
import { LocalRunError, type LocalRunOptions } from './local-run-types.ts';

const GRAPH_LEVELS: readonly GraphOptimization[] = GRAPH_OPTIMIZATIONS;

export interface ValidOptions {
  batchSize: number;
  threads: number;
  graphOptimization: GraphOptimization;
  precision: Precision;
  spinning: boolean;
  /** Host tuning ('off' when absent: records built by other engines and tests leave it out). */
  tune?: TuneMode;
  /** What the caller gave explicitly (host tuning keeps these), null where the default applies. */
  fixedThreads?: number | null;
  fixedSpinning?: boolean | null;
  /** GELU in its tanh form (int8 default). */
  geluApproximation?: boolean;
}

/** Checks the numeric options and fills in defaults; throws LocalRunError('bad-option') with what is wrong. */
export function validateLocalRunOptions(opts: LocalRunOptions): ValidOptions {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize <= 0 || batchSize > MAX_BATCH_SIZE) {
    throw new LocalRunError(
      'bad-option',
      `batch size must be a whole number from 1 to ${MAX_BATCH_SIZE}, got ${String(opts.batchSize)}`,
    );
  }
  const threads = opts.threads ?? hostInfo().physicalCores;
  if (!Number.isInteger(threads) || threads <= 0 || threads > MAX_THREADS) {
    throw new LocalRunError(
      'bad-option',
      `threads must be a whole number from 1 to ${MAX_THREADS}, got ${String(opts.threads)}`,
    );
  }
  const graphOptimization = opts.graphOptimization ?? 'all';
  if (!GRAPH_LEVELS.includes(graphOptimization)) {
    throw new LocalRunError(
      'bad-option',
      `graph optimisation must be one of ${GRAPH_LEVELS.join(', ')}, got ${String(opts.graphOptimization)}`,
    );
  }
  const precision = opts.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision)) {
    throw new LocalRunError(
      'bad-option',
      `precision must be one of ${PRECISIONS.join(', ')}, got ${String(opts.precision)}`,
    );
  }
  if (opts.spinning !== undefined && typeof opts.spinning !== 'boolean') {
    throw new LocalRunError('bad-option', `spinning must be true or false, got ${String(opts.spinning)}`);
  }
  const tune = opts.tune ?? 'off';
  if (!TUNE_MODES.includes(tune)) {
    throw new LocalRunError('bad-option', `tune must be one of ${TUNE_MODES.join(', ')}, got ${String(opts.tune)}`);
  }
  const int8Gelu = opts.int8Gelu ?? 'tanh';
  if (int8Gelu !== 'tanh' && int8Gelu !== 'erf') {
    throw new LocalRunError('bad-option', `int8 GELU must be tanh or erf, got ${String(opts.int8Gelu)}`);
  }
  if (opts.int8Gelu !== undefined && precision !== 'int8') {
    throw new LocalRunError('bad-option', 'the GELU form (int8Gelu) is an int8 option: add precision int8');
  }
  return {
    batchSize,
    geluApproximation: precision === 'int8' && int8Gelu === 'tanh',
    threads,
    graphOptimization,
    precision,
    spinning: opts.spinning ?? false,
    tune,
    fixedThreads: opts.threads ?? null,
    fixedSpinning: opts.spinning ?? null,
  };
}
