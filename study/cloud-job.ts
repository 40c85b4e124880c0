import type { JobState } from './study-store.ts';
import type { StudyMeasurement } from './measurement.ts';
import type { AwsClients } from '../cloud/aws-clients.ts';
import {
  buildRecord,
  follow,
  launch,
  runErrorMessage,
  saveToHistory,
  type CloudRunEvent,
  type RunHistorySink,
} from '../cloud/cloud-run.ts';
import { stageForRun, type StageEvent, type StageRequest, type StageResult } from '../cloud/cloud-stage.ts';
import { stopExecution } from '../cloud/execution.ts';
import { buildPayload } from '../cloud/payload.ts';
import { measurementFromCloudRecord } from './cloud-measurement.ts';

/**
 * Runs a study's cloud jobs on the CAI state machine: stage the data in the job's partition size (once per size;
 * staging skips what is already there), start one execution, follow it, save the run in History and hand back its
 * measurement. Results go to the study's own layout under the results prefix,
 *   <results>/<study id>/result-partition-<P>MB/<data>/[Batches/<batch>/]<repeat>
 * so a study's results can be imported again with `cosmicai import s3://<bucket>/<results><study id>`. A retried job
 * writes to the same place, replacing the incomplete results of the attempt that did not finish.
 */

export interface CloudJobRunnerOptions {
  clients: AwsClients;
  dataDir: string;
  studyId: string;
  studyName: string;
  history: RunHistorySink;
  /** Code + model to stage; default the reference model. */
  code?: StageRequest['code'];
  /** Dataset to partition; default the bundled sample data. */
  dataset?: string | string[];
  intervalMs?: number;
  tailLogs?: boolean;
  onEvent?: (job: JobState, e: CloudRunEvent | { type: 'stage'; event: StageEvent }) => void;
}

export function studyResultPath(
  resultsPrefix: string,
  studyId: string,
  job: Pick<JobState, 'partitionMb' | 'dataLabel' | 'sweep' | 'batchSize' | 'repeat'>,
): string {
  const batches = job.sweep === 'batch-size' ? `Batches/${job.batchSize}/` : '';
  return `${resultsPrefix}${studyId}/result-partition-${job.partitionMb}MB/${job.dataLabel}/${batches}${job.repeat}`;
}

/** Partitions the job reads: all of them for "total", else ceil(GB × 1024 / partition MB), at most what is staged. */
export function fileLimitFor(job: Pick<JobState, 'dataLabel' | 'partitionMb'>, stagedPartitions: number): number {
  if (job.dataLabel === 'total') return stagedPartitions;
  const gb = Number(/^(\d+(?:\.\d+)?)GB$/.exec(job.dataLabel ?? '')?.[1]);
  if (!(gb > 0) || job.partitionMb === null) throw new Error(`cannot tell how much data "${job.dataLabel}" is`);
  return Math.min(stagedPartitions, Math.ceil((gb * 1024) / job.partitionMb));
}

/**
 * What a data-size job will really process: the partitions it needs for its label, or — when fewer are staged —
 * what is staged, with the label it then deserves and a warning to show before the execution starts.
 */
export function dataSizePlan(
  job: Pick<JobState, 'dataLabel' | 'partitionMb'>,
  stagedPartitions: number,
): { fileLimit: number; dataLabel: string | null; warning: string | null } {
  const fileLimit = fileLimitFor(job, stagedPartitions);
  if (job.dataLabel === 'total' || job.dataLabel === null || job.partitionMb === null)
    return { fileLimit, dataLabel: job.dataLabel, warning: null };
  const gb = Number(/^(\d+(?:\.\d+)?)GB$/.exec(job.dataLabel)?.[1]);
  const wanted = Math.ceil((gb * 1024) / job.partitionMb);
  if (fileLimit >= wanted) return { fileLimit, dataLabel: job.dataLabel, warning: null };
  const processedGb = (fileLimit * job.partitionMb) / 1024;
  const label = `${Number(processedGb.toFixed(3))}GB`;
  return {
    fileLimit,
    dataLabel: label,
    warning:
      `${job.dataLabel} at ${job.partitionMb} MB needs ${wanted} partitions but only ${stagedPartitions} are staged: this ` +
      `execution processes ${fileLimit} (about ${label}), and its results are labelled ${label}, not ${job.dataLabel}. ` +
      'Stage more data to measure the labelled size.',
  };
}

export function cloudJobRunner(
  o: CloudJobRunnerOptions,
): (job: JobState, signal?: AbortSignal) => Promise<{ measurement: StudyMeasurement; runId: string }> {
  const staged = new Map<number, StageResult>();
  return async (job, signal) => {
    if (job.partitionMb === null || job.dataLabel === null)
      throw new Error(`${job.id} is not a cloud job (no partition size or data size)`);
    const p = o.clients.profile;
    let stage = staged.get(job.partitionMb);
    if (!stage) {
      stage = await stageForRun(o.clients, {
        dataDir: o.dataDir,
        code: o.code,
        dataset: o.dataset,
        partitionMb: job.partitionMb,
        signal,
        onProgress: (event) => o.onEvent?.(job, { type: 'stage', event }),
      });
      if (stage.cancelled) throw new Error('staging was cancelled');
      staged.set(job.partitionMb, stage);
    }
    const plan = dataSizePlan(job, stage.partitions);
    if (plan.warning) o.onEvent?.(job, { type: 'notice', message: plan.warning });
    const payload = buildPayload(p, {
      batchSize: job.batchSize,
      fileLimit: plan.fileLimit,
      ...(job.worldSize !== null ? { worldSize: job.worldSize } : {}),
      partitionMb: job.partitionMb,
      s3ObjectName: stage.s3ObjectName,
      objectType: stage.objectType,
      script: stage.script,
      resultPath: studyResultPath(p.resultsPrefix, o.studyId, job),
    });
    const onEvent = (e: CloudRunEvent) => o.onEvent?.(job, e);
    // A memory sweep's job runs at the memory the queue set: its History record and cost say so.
    const clients =
      job.lambdaMemoryMb !== null ? { ...o.clients, profile: { ...p, lambdaMemoryMb: job.lambdaMemoryMb } } : o.clients;
    const started = await launch(clients, payload, onEvent);
    let final = await follow(clients, started.executionArn, {
      intervalMs: o.intervalMs,
      signal,
      tailLogs: o.tailLogs ?? false,
      onEvent,
    });
    if (signal?.aborted && final.status === 'RUNNING') {
      // A cancelled study stops its execution, so nothing keeps running (and billing) unseen.
      await stopExecution(o.clients.sfn, started.executionArn, 'Study cancelled in CosmicAI Bench');
      final = await follow(clients, started.executionArn, { intervalMs: o.intervalMs, tailLogs: false });
    }
    const record = await buildRecord(clients, final, 'pending', onEvent);
    const runId = await saveToHistory(o.history, record, `${o.studyName} · ${job.id}`);
    if (signal?.aborted) throw new Error(`cancelled; the stopped execution is in History as ${runId}`);
    if (record.status !== 'completed') throw new Error(`${runErrorMessage(record)} Saved in History as ${runId}.`);
    const m = withConfiguredMemory(measurementFromCloudRecord({ ...record, id: runId }), job);
    if (m.lambdaMemoryNote) o.onEvent?.(job, { type: 'notice', message: m.lambdaMemoryNote });
    return {
      runId,
      measurement: {
        ...m,
        sweep: job.sweep,
        batchSize: job.batchSize,
        partitionMb: job.partitionMb,
        dataLabel: plan.dataLabel,
        repeat: job.repeat,
      },
    };
  };
}

/**
 * A memory sweep's measurement carries the memory the sweep configured. The REPORT lines' Memory Size must equal it;
 * when it does not, the REPORT value is kept (it is what ran and what AWS billed) and a note says so. Without REPORT
 * lines the configured memory is used.
 */
export function withConfiguredMemory(
  m: StudyMeasurement,
  job: Pick<JobState, 'lambdaMemoryMb' | 'id'>,
): StudyMeasurement {
  if (job.lambdaMemoryMb === null) return m;
  if (m.lambdaMemorySource !== 'report')
    return { ...m, lambdaMemoryMb: job.lambdaMemoryMb, lambdaMemorySource: 'configured' };
  if (m.lambdaMemoryMb === job.lambdaMemoryMb) return m;
  return {
    ...m,
    lambdaMemoryNote:
      `${job.id}: the sweep set the function to ${job.lambdaMemoryMb} MB but its REPORT lines say Memory Size ` +
      `${m.lambdaMemoryMb} MB (the largest seen); the REPORT value is kept. Something else may have changed the function.`,
  };
}
