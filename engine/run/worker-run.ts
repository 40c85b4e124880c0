import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { bitsPerSampleOf, type RunStatus } from '../../base/local-run-record.ts';
import { LocalRunError, type LocalRunHooks, type LocalRunResult } from './local-run-types.ts';
import { PredictionTable } from './predictions.ts';
import type { PreparedRun } from './prepare-run.ts';
import { buildRecord, datasetAndAccuracy, partitionRecordOf, skipped } from './record-builder.ts';
import { workerEntry } from './worker-entry.ts';
import type { PartitionMeasurement, WorkerMessage } from './worker-protocol.ts';
import type { StartedWorker } from './worker-start.ts';
import type { TuningRecord } from '../../base/tuning-record.ts';

/** How long to wait for the current batch after a cancel before the worker is terminated outright. */
function cancelGraceMs(slowestBatchMs: number): number {
  return Math.max(10_000, 3 * slowestBatchMs + 10_000);
}

/**
 * Runs a prepared local run in a worker thread: progress and partitions as they come, cancel with a grace period,
 * and the record of what was computed whatever way the worker ends. `early`: a worker started while the run was
 * being prepared (worker-start.ts), else one is started here.
 */
export async function runInWorker(
  prepared: PreparedRun,
  hooks: LocalRunHooks,
  early?: StartedWorker,
): Promise<LocalRunResult> {
  const { started, valid, spec, modelPath, model, dataset, warmFirst, allRefs, init, cancelFlag } = prepared;
  const bitsPerSample = new Map(dataset.partitions.map((p) => [p.index, bitsPerSampleOf(p.dtypes)]));
  const measurements = new Map<number, PartitionMeasurement>();
  for (const u of dataset.unreadable) {
    measurements.set(u.ref.index, { ...skipped(u.ref.index, u.ref.path, 0), status: 'failed', error: u.error });
  }
  const pieces = new Map<number, PredictionTable>();
  // The run's clock starts with whichever came first: the early worker or the preparation.
  const t0 = Math.min(prepared.t0, early?.startedAt ?? prepared.t0);
  let sessionSeconds = 0;
  let startupSeconds: number | undefined;
  let tuning: TuningRecord | undefined;
  let sessionRss = 0;
  // Dataset position of each partition's first galaxy, from the headers.
  const offsets = new Map<number, number>();
  let acc = 0;
  for (const p of dataset.partitions) {
    offsets.set(p.index, acc);
    acc += p.samples;
  }

  const finish = (status: RunStatus, error: string | null): LocalRunResult => {
    const partitions = allRefs.map((ref) => measurements.get(ref.index) ?? skipped(ref.index, ref.path, ref.samples));
    const table = PredictionTable.concat(allRefs.flatMap((ref) => pieces.get(ref.index) ?? []));
    const record = buildRecord({
      started,
      wallSeconds: (performance.now() - t0) / 1000,
      status,
      error,
      sessionSeconds,
      startupSeconds,
      sessionRss,
      valid,
      model: { ...model, path: modelPath, label: model.label ?? path.basename(modelPath) },
      ...datasetAndAccuracy(spec, allRefs, dataset, table),
      partitions,
      bitsPerSample,
      tuning,
    });
    return { record, predictions: table.toRows(), table };
  };

  hooks.onProgress?.({
    phase: 'session',
    partition: 0,
    partitions: allRefs.length,
    batchesDone: 0,
    batchesTotal: dataset.partitions.reduce((s, p) => s + Math.ceil(p.samples / valid.batchSize), 0),
    samplesDone: 0,
    samplesTotal: dataset.samples,
    samplesPerSec: 0,
    etaSeconds: null,
  });
  const worker = early?.worker ?? new Worker(workerEntry(), { workerData: init });
  hooks.onWorker?.(worker);
  return await new Promise<LocalRunResult>((resolve, reject) => {
    let settled = false;
    let cancelledByCaller = false;
    let slowestBatchMs = 0;
    let inferring = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let exited = false;
    let afterExit: (() => void) | undefined;

    // Resolve or reject only once the thread is gone, so nothing of the run outlives the promise.
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      warmFirst?.cancel();
      clearTimeout(graceTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      if (exited) fn();
      else {
        afterExit = fn;
        void worker.terminate();
      }
    };

    const onAbort = () => {
      cancelledByCaller = true;
      Atomics.store(new Int32Array(cancelFlag), 0, 1);
      if (!inferring) {
        // Session creation or loading: nothing to keep yet that the worker would still add.
        settle(() => resolve(finish('cancelled', null)));
        return;
      }
      graceTimer = setTimeout(
        () =>
          settle(() =>
            resolve(
              finish('cancelled', 'the current batch did not finish in time after cancel; the worker was stopped'),
            ),
          ),
        cancelGraceMs(slowestBatchMs),
      );
    };

    worker.on('message', (msg: WorkerMessage) => {
      switch (msg.type) {
        case 'tuning':
          tuning = msg.tuning;
          break;
        case 'ready':
          sessionSeconds = msg.sessionSeconds;
          startupSeconds = (performance.now() - t0) / 1000;
          sessionRss = msg.rssBytes;
          break;
        case 'progress':
          inferring = true;
          hooks.onProgress?.(msg.progress);
          break;
        case 'partition': {
          const m = msg.measurement;
          measurements.set(m.partition, m);
          for (const ms of m.batchMs) slowestBatchMs = Math.max(slowestBatchMs, ms);
          hooks.onPartition?.(partitionRecordOf(m, valid.batchSize, bitsPerSample.get(m.partition)));
          if (m.samples > 0) {
            const offset = offsets.get(m.partition) ?? 0;
            pieces.set(
              m.partition,
              new PredictionTable({
                index: Int32Array.from({ length: m.samples }, (_, i) => offset + i),
                partition: new Int32Array(m.samples).fill(m.partition),
                zTrue: msg.zTrue ?? new Float32Array(m.samples).fill(Number.NaN),
                zPred: msg.zPred,
              }),
            );
          }
          break;
        }
        case 'done': {
          const cancelled = msg.cancelled || cancelledByCaller;
          const all = [...measurements.values()];
          const failed = all.filter((m) => m.status === 'failed');
          const ran = all.filter((m) => m.status === 'completed' || m.status === 'cancelled');
          let status: RunStatus = cancelled ? 'cancelled' : 'completed';
          let error: string | null = null;
          if (failed.length > 0) {
            error = `${failed.length} of ${all.length} partition(s) failed: ` + failed.map((m) => m.error).join('; ');
            if (ran.length === 0 && !cancelled) status = 'failed';
          }
          settle(() => resolve(finish(status, error)));
          break;
        }
        case 'fatal': {
          const started = measurements.size > 0;
          const err = started
            ? new LocalRunError('worker', `local run failed: ${msg.message}`, finish('failed', msg.message))
            : new LocalRunError('session', `cannot run ${modelPath} with onnxruntime: ${msg.message}`);
          settle(() => reject(err));
          break;
        }
      }
    });
    const onError = (err: Error) => {
      const message = `the inference worker crashed: ${err.message}`;
      settle(() => reject(new LocalRunError('worker', message, finish('failed', message))));
    };
    const onExit = (code: number) => {
      exited = true;
      if (afterExit) return afterExit();
      const message = `the inference worker exited unexpectedly (exit code ${code}) before finishing the run`;
      settle(() => reject(new LocalRunError('worker', message, finish('failed', message))));
    };
    worker.on('error', onError);
    worker.on('exit', onExit);
    // An early worker gets its settings now; what ended it while the run was being prepared ends the run here.
    const ended = early?.takeOver(init) ?? null;
    if (ended?.error) onError(ended.error);
    if (ended && ended.exitCode !== null) onExit(ended.exitCode);

    if (hooks.signal?.aborted) onAbort();
    else hooks.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
