import path from 'node:path';
import { LocalRunError, type LocalRunProgress, type LocalRunResult } from '../../../engine/run/local-run.ts';
import { runLocalEngine } from '../../../engine/run/run-engine.ts';
import { writePredictionsCsv } from '../../../engine/run/predictions.ts';
import {
  ApiError,
  toApiErrorData,
  type ActiveRun,
  type ApiErrorData,
  type LocalRunParams,
  type RunHeadline,
  type RunProgress,
} from '../../common/contract/index.ts';
import type { EventHub } from '../../common/dispatcher.ts';
import type { Precision } from '../../../base/options.ts';
import type { HistoryStore } from '../history-store.ts';
import { hintFor } from '../hints.ts';

/** The engine entry point, injectable so a test can substitute a fault the real engine cannot produce. */
export type RunLocalFn = typeof runLocalEngine;

interface Active {
  info: ActiveRun;
  controller: AbortController;
  done: Promise<void>;
}

const PROGRESS_INTERVAL_MS = 100;

/** Starts, follows and cancels local runs; each run is written to History as it starts and finalised at the end. */
export class LocalRunService {
  private active = new Map<string, Active>();

  constructor(private readonly deps: { dataDir: string; store: HistoryStore; hub: EventHub; runLocal?: RunLocalFn }) {}

  list(): ActiveRun[] {
    return [...this.active.values()].map((a) => a.info);
  }

  async start(params: LocalRunParams): Promise<{ runId: string }> {
    if (this.active.size > 0) {
      const cur = [...this.active.values()][0].info;
      throw new ApiError({
        code: 'BUSY',
        message: `A local run is already going ("${cur.name}").`,
        hint: 'Wait for it to finish or cancel it; runs share the CPU, so one at a time keeps the numbers honest.',
      });
    }
    const model = params.model ? params.model : undefined;
    const data = params.data?.length ? params.data : undefined;
    const precision = params.precision ?? 'fp32';
    const name = params.name || defaultName(model, data, params.batchSize, precision);
    const entry = await this.deps.store.create({
      kind: 'local',
      name,
      params: { ...params, precision },
      headline: startHeadline(model, data, params.batchSize, precision),
    });
    const runId = entry.id;
    const controller = new AbortController();
    const started = Date.now();
    const info: ActiveRun = { runId, name, startedAt: entry.createdAt, params, progress: null };
    const emitProgress = (p: RunProgress) => {
      info.progress = p;
      this.deps.hub.emit('runs.progress', p);
    };
    emitProgress({
      runId,
      phase: 'preparing',
      message: 'Preparing the model and data…',
      elapsedSeconds: 0,
      fraction: 0,
    });

    let lastEmit = 0;
    let lastPhase = '';
    const onProgress = (p: LocalRunProgress) => {
      const now = Date.now();
      const final = p.samplesTotal > 0 && p.samplesDone >= p.samplesTotal;
      if (p.phase === lastPhase && !final && now - lastEmit < PROGRESS_INTERVAL_MS) return;
      lastEmit = now;
      lastPhase = p.phase;
      emitProgress(toRunProgress(runId, p, (now - started) / 1000));
    };

    const run = this.deps.runLocal ?? runLocalEngine;
    const done = run(
      {
        model,
        data,
        batchSize: params.batchSize,
        threads: params.threads,
        graphOptimization: params.graphOptimization,
        precision,
        ...(params.tune && params.engine !== 'pytorch' ? { tune: params.tune } : {}),
        dataDir: this.deps.dataDir,
        ...(params.engine === 'pytorch'
          ? { engine: 'pytorch' as const, code: params.code || undefined, python: params.python || undefined }
          : {}),
      },
      {
        onProgress,
        signal: controller.signal,
        onPartition: (rec) => void this.deps.store.recordPartition(runId, rec).catch(() => undefined),
      },
    )
      .then(
        (res) => this.finishOk(runId, res),
        (err) => this.finishError(runId, err),
      )
      .catch((err) => {
        // Writing the result failed (disk full, folder removed): report it; the entry stays "running" → interrupted.
        this.ended(runId);
        this.deps.hub.emit('runs.finished', { runId, status: 'failed', error: withHint(toApiErrorData(err)) });
      })
      .finally(() => this.active.delete(runId));
    this.active.set(runId, { info, controller, done });
    return { runId };
  }

  /**
   * The run stops counting as active before "finished" is sent, so a window that hears it can start the next
   * run or a study at once instead of being told a run is still going.
   */
  private ended(runId: string): void {
    this.active.delete(runId);
  }

  cancel(runId: string): void {
    const a = this.active.get(runId);
    if (!a)
      throw new ApiError({
        code: 'NOT_FOUND',
        message: `Run ${runId} is not running.`,
        hint: 'It may have finished already; open it from History.',
      });
    a.controller.abort();
  }

  /** Cancels every run and waits for them to be written (used when the host shuts down). */
  async shutdown(): Promise<void> {
    for (const a of this.active.values()) a.controller.abort();
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  private async finishOk(runId: string, res: LocalRunResult): Promise<void> {
    const { record, table } = res;
    const error: ApiErrorData | null = record.error
      ? withHint({
          code: record.status === 'failed' ? 'run-failed' : 'partial',
          message: record.error,
          hint: record.partitions.some((p) => p.status === 'failed')
            ? hintFor({ code: 'bad-structure', message: '' })
            : undefined,
        })
      : null;
    await this.deps.store.finish(runId, {
      status: record.status,
      record,
      partitions: record.partitions,
      writePredictions: table.length > 0 ? (f) => writePredictionsCsv(f, table) : undefined,
      headline: headlineOf(res),
      error,
    });
    this.ended(runId);
    this.deps.hub.emit('runs.finished', { runId, status: record.status, ...(error ? { error } : {}) });
  }

  private async finishError(runId: string, err: unknown): Promise<void> {
    const error = withHint(toApiErrorData(err));
    const partial = err instanceof LocalRunError ? err.partial : undefined;
    if (partial) {
      await this.deps.store.finish(runId, {
        status: 'failed',
        record: partial.record,
        partitions: partial.record.partitions,
        writePredictions: partial.table.length > 0 ? (f) => writePredictionsCsv(f, partial.table) : undefined,
        headline: headlineOf(partial),
        error,
      });
    } else {
      // Nothing ran (bad model, unreadable data, bad option): no History entry to keep, the error goes to the UI.
      await this.deps.store.delete(runId).catch(() => undefined);
    }
    this.ended(runId);
    this.deps.hub.emit('runs.finished', { runId, status: 'failed', error });
  }
}

function withHint(e: ApiErrorData): ApiErrorData {
  const hint = e.hint ?? hintFor(e);
  return hint ? { ...e, hint } : e;
}

function toRunProgress(runId: string, p: LocalRunProgress, elapsedSeconds: number): RunProgress {
  const fraction = p.samplesTotal > 0 ? Math.min(1, Math.max(0, p.samplesDone / p.samplesTotal)) : 0;
  const preparing = p.phase !== 'inferring';
  return {
    runId,
    phase: preparing && p.samplesDone === 0 ? 'preparing' : 'running',
    message:
      p.phase === 'session'
        ? 'Loading the model…'
        : p.phase === 'loading'
          ? `Reading partition ${p.partition} of ${p.partitions}…`
          : undefined,
    partition: { index: p.partition, count: p.partitions },
    batches: { done: p.batchesDone, total: p.batchesTotal },
    samples: { done: p.samplesDone, total: p.samplesTotal },
    samplesPerSec: Number.isFinite(p.samplesPerSec) ? p.samplesPerSec : undefined,
    etaSeconds: p.etaSeconds !== null && Number.isFinite(p.etaSeconds) ? p.etaSeconds : null,
    elapsedSeconds,
    fraction,
  };
}

/** A local run's History headline when it starts (the app's and the CLI's alike). */
export function startHeadline(
  model: string | undefined,
  data: string[] | undefined,
  batchSize: number | undefined,
  precision: Precision,
): RunHeadline {
  return {
    batchSize,
    referenceModel: !model,
    syntheticData: !data,
    model: model ? path.basename(model) : undefined,
    data: data ? dataLabel(data) : 'sample data',
    precision,
  };
}

export function dataLabel(data: string[]): string {
  const first = path.basename(data[0].replace(/[\\/]+$/, ''));
  return data.length > 1 ? `${first} + ${data.length - 1} more` : first;
}

export function defaultName(
  model: string | undefined,
  data: string[] | undefined,
  batchSize: number | undefined,
  precision: string,
): string {
  const m = `${model ? path.basename(model) : 'reference model'}${precision === 'int8' ? ' (int8)' : ''}`;
  const d = data ? dataLabel(data) : 'sample data';
  return `${m} · ${d}${batchSize ? ` · batch ${batchSize}` : ''}`;
}

export function headlineOf(res: LocalRunResult): RunHeadline {
  const r = res.record;
  return {
    samples: r.samples,
    samplesPerSec: r.sample_persec,
    batchSize: r.batch_size,
    partitions: r.partitions.length,
    model: r.model.reference ? 'reference model' : r.model.label || path.basename(r.model.path),
    data: r.dataset.synthetic ? 'synthetic sample data' : dataLabel(r.dataset.spec),
    referenceModel: r.model.reference,
    syntheticData: r.dataset.synthetic,
    precision: r.model.precision,
  };
}
