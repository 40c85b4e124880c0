import { Worker } from 'node:worker_threads';
import { workerEntry } from './worker-entry.ts';
import type { WorkerInit } from './worker-protocol.ts';

/** What happened to a started worker before a run took it over: an error while loading, an exit; null if none. */
export interface EarlyEnd {
  error: Error | null;
  exitCode: number | null;
}

/**
 * The inference worker, started before the run is prepared. Its thread start and module loading (tsx from the
 * sources, onnxruntime, the data readers: ~0.3–0.5 s, the largest part of the time to the first batch) then overlap
 * the model inspection, the int8 copy and the data discovery on the calling thread. It waits for its WorkerInit as
 * its first message (worker.ts). An error or exit before the run takes it over is kept, not lost: `takeOver`
 * returns it, so the run reports it as it would any other worker failure.
 */
export class StartedWorker {
  readonly worker: Worker;
  /** performance.now() when the thread was started: the run's startup clock begins here. */
  readonly startedAt: number;
  private readonly early: EarlyEnd = { error: null, exitCode: null };
  private readonly onError = (error: Error) => {
    this.early.error ??= error;
  };
  private readonly onExit = (code: number) => {
    this.early.exitCode = code;
  };

  constructor() {
    this.startedAt = performance.now();
    this.worker = new Worker(workerEntry(), { workerData: null });
    this.worker.on('error', this.onError).on('exit', this.onExit);
  }

  /**
   * Hands the worker to the run: sends its settings and stops keeping events (the run has its own listeners by
   * now). Returns what ended the worker before this, or null while it is alive.
   */
  takeOver(init: WorkerInit): EarlyEnd | null {
    this.worker.off('error', this.onError).off('exit', this.onExit);
    if (this.early.exitCode === null) this.worker.postMessage(init);
    return this.early.error || this.early.exitCode !== null ? { ...this.early } : null;
  }

  /** The run did not start (its preparation failed): end the thread. */
  discard(): Promise<number> {
    return this.worker.terminate();
  }
}
