/**
 * The inference worker: one onnxruntime session for the whole run, partitions streamed one at a time. A batch is
 * read just before it runs, into buffers allocated once (or, for files that cannot be streamed, a view into the
 * partition read whole); the reads count as load time, never as inference time. onnxruntime-node's session.run
 * is synchronous on the calling thread, which is why this lives in a worker: the caller's event loop stays free. Cancel arrives through a shared flag
 * (a message could not be read while run() blocks), checked before every batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { Batch } from '../data/dataset.ts';
import { allocateBatchBuffers, openPartition, type PartitionStream } from './partition-source.ts';
import { countNonFinite } from './non-finite.ts';
import { collectGarbage } from './collect-garbage.ts';
import { InferenceWindow } from './inference-window.ts';
import { prefetchIntoPageCache, type Prefetch } from '../data/page-cache-prefetch.ts';
import { GALAXIES_PER_SESSION_RUN, engineSessionOptions, predictBatch } from './engine-session.ts';
import type { LocalRunProgress, PartitionMeasurement, WorkerInit, WorkerMessage } from './worker-protocol.ts';

let init: WorkerInit;
let cancelFlag: Int32Array;
const cancelled = () => Atomics.load(cancelFlag, 0) !== 0;

/** The run's settings: workerData, or the first message when the worker was started before the run was prepared. */
function receiveInit(): Promise<WorkerInit> {
  if (workerData) return Promise.resolve(workerData as WorkerInit);
  return new Promise((resolve) => parentPort!.once('message', (msg: WorkerInit) => resolve(msg)));
}

function post(msg: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(msg, transfer);
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function main(): Promise<void> {
  init = await receiveInit();
  cancelFlag = new Int32Array(init.cancelFlag);
  let settings = { threads: init.threads, slice: GALAXIES_PER_SESSION_RUN, spinning: init.spinning };
  if (init.tune) {
    // Loaded only when asked for: its cache schema pulls zod, which costs a worker ~0.1–0.4 s to load.
    const { resolveTuning } = await import('./worker-tuning.ts');
    const tuning = await resolveTuning({
      tune: init.tune,
      modelPath: init.modelPath,
      binding: init.binding,
      graphOptimization: init.graphOptimization,
      geluApproximation: init.geluApproximation,
    });
    settings = tuning.result.settings;
    post({ type: 'tuning', tuning });
    collectGarbage(); // the calibration's sessions, released
  }
  const t0 = performance.now();
  // runLocal warms the first partition in the page cache while this thread starts; each next one is warmed here
  // while the current one is inferring.
  let prefetch: Prefetch | null = null;
  const session = await ort.InferenceSession.create(
    init.modelPath,
    engineSessionOptions({
      threads: settings.threads,
      graphOptimization: init.graphOptimization,
      spinning: settings.spinning,
      geluApproximation: init.geluApproximation,
    }),
  );
  const sessionRss = process.memoryUsage.rss();
  post({ type: 'ready', sessionSeconds: (performance.now() - t0) / 1000, rssBytes: sessionRss });

  const { batchSize, partitions } = init;
  const batchesTotal = partitions.reduce((s, p) => s + Math.ceil(p.samples / batchSize), 0);
  const samplesTotal = partitions.reduce((s, p) => s + p.samples, 0);
  let batchesDone = 0;
  let samplesDone = 0;
  let inferSecondsSoFar = 0;
  const progress = (phase: LocalRunProgress['phase'], partition: number): LocalRunProgress => {
    const rate = inferSecondsSoFar > 0 ? samplesDone / inferSecondsSoFar : 0;
    return {
      phase,
      partition,
      partitions: init.partitionCount,
      batchesDone,
      batchesTotal,
      samplesDone,
      samplesTotal,
      samplesPerSec: rate,
      etaSeconds: rate > 0 ? (samplesTotal - samplesDone) / rate : null,
    };
  };

  const buffers = allocateBatchBuffers(batchSize);
  let stopped = false;
  for (const [i, ref] of partitions.entries()) {
    const m: PartitionMeasurement = {
      partition: ref.index,
      path: ref.path,
      status: 'skipped',
      samplesInFile: ref.samples,
      samples: 0,
      batches: 0,
      inferenceSeconds: 0,
      loadSeconds: 0,
      cpuSeconds: 0,
      peakRssBytes: 0,
      batchMs: [],
      nanInputs: 0,
      infInputs: 0,
      error: null,
    };
    if (stopped || cancelled()) {
      stopped = true;
      post({ type: 'partition', measurement: m, zPred: new Float32Array(0), zTrue: null });
      continue;
    }
    post({ type: 'progress', progress: progress('loading', ref.index) });
    collectGarbage(); // a previous in-memory partition's buffer (up to ~100 MB) before the next one is read

    let part: PartitionStream;
    const loadStart = performance.now();
    try {
      part = await openPartition(ref);
    } catch (err) {
      m.loadSeconds = (performance.now() - loadStart) / 1000;
      m.status = 'failed';
      m.error = errorText(err);
      post({ type: 'partition', measurement: m, zPred: new Float32Array(0), zTrue: null });
      continue;
    }
    m.loadSeconds = (performance.now() - loadStart) / 1000;
    prefetch?.cancel();
    prefetch = i + 1 < partitions.length ? prefetchIntoPageCache(partitions[i + 1].path) : null;
    m.samplesInFile = part.samples;
    m.peakRssBytes = process.memoryUsage.rss();

    const zPred = new Float32Array(part.samples);
    const zTrueAll = part.labelled ? new Float32Array(part.samples) : null;
    const openSeconds = m.loadSeconds;
    const timing = new InferenceWindow();
    m.status = 'completed';
    try {
      for (let start = 0; start < part.samples; start += batchSize) {
        if (cancelled()) {
          m.status = 'cancelled';
          stopped = true;
          break;
        }
        let b: Batch;
        try {
          b = timing.read(() => {
            const batch = part.read(start, Math.min(batchSize, part.samples - start), buffers);
            const nf = countNonFinite(batch.images, batch.magnitudes);
            m.nanInputs += nf.nan;
            m.infInputs += nf.inf;
            if (zTrueAll && batch.redshifts) zTrueAll.set(batch.redshifts, start);
            return batch;
          });
        } catch (err) {
          m.status = 'failed';
          m.error = `reading batch ${m.batches + 1} failed after ${m.batches} batch(es): ${errorText(err)}`;
          break;
        }
        m.loadSeconds = openSeconds + timing.readSeconds;
        const bStart = performance.now();
        await predictBatch(session, init.binding, b.images, b.magnitudes, b.count, zPred, b.start, settings.slice);
        const bEnd = timing.batchDone();
        m.batchMs.push(bEnd - bStart);
        m.batches++;
        m.samples += b.count;
        batchesDone++;
        samplesDone += b.count;
        m.inferenceSeconds = timing.inferenceSeconds;
        const rss = process.memoryUsage.rss();
        if (rss > m.peakRssBytes) m.peakRssBytes = rss;
        inferSecondsSoFar += (bEnd - bStart) / 1000;
        post({ type: 'progress', progress: progress('inferring', ref.index) });
      }
    } catch (err) {
      m.status = 'failed';
      m.error = `inference failed after ${m.batches} batch(es): ${errorText(err)}`;
    }
    // The window ends at the last finished batch; a cancel check or failure after it adds nothing.
    m.cpuSeconds = timing.cpuSeconds();
    if (m.inferenceSeconds === 0) m.cpuSeconds = 0;
    part.close();
    const zTrue = zTrueAll ? zTrueAll.slice(0, m.samples) : null;
    const pred = zPred.slice(0, m.samples);
    post(
      { type: 'partition', measurement: m, zPred: pred, zTrue },
      zTrue ? [pred.buffer, zTrue.buffer] : [pred.buffer],
    );
  }
  prefetch?.cancel();
  await prefetch?.done;
  await session.release();
  post({ type: 'done', cancelled: stopped });
}

main().catch((err) => {
  post({ type: 'fatal', message: errorText(err) });
});
