import type { LocalRunHooks, LocalRunOptions, LocalRunResult } from './local-run-types.ts';
import { prepareRun } from './prepare-run.ts';
import { runInWorker } from './worker-run.ts';

export type { LocalRunProgress } from './worker-protocol.ts';
export {
  LocalRunError,
  type LocalRunErrorCode,
  type LocalRunHooks,
  type LocalRunOptions,
  type LocalRunResult,
} from './local-run-types.ts';

/**
 * Runs the model over the dataset on the CPU in a worker thread and returns the run record and predictions.
 * Rejects with LocalRunError / ModelError / PtFormatError when the run cannot start; a partition that fails to
 * load is recorded as failed and the others go on; a worker that dies rejects with LocalRunError('worker'),
 * carrying what was computed in `partial`.
 */
export async function runLocal(opts: LocalRunOptions = {}, hooks: LocalRunHooks = {}): Promise<LocalRunResult> {
  return runInWorker(await prepareRun(opts), hooks);
}
