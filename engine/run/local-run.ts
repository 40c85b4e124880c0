import type { LocalRunHooks, LocalRunOptions, LocalRunResult } from './local-run-types.ts';
import { validateLocalRunOptions } from './local-run-options.ts';
import { prepareRun, type PreparedRun } from './prepare-run.ts';
import { runInWorker } from './worker-run.ts';
import { StartedWorker } from './worker-start.ts';

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
  validateLocalRunOptions(opts); // bad options reject before any thread starts
  // The worker loads its modules while the model and data are looked at here (worker-start.ts).
  const early = new StartedWorker();
  let prepared: PreparedRun;
  try {
    prepared = await prepareRun(opts);
  } catch (err) {
    await early.discard();
    throw err;
  }
  return runInWorker(prepared, hooks, early);
}
