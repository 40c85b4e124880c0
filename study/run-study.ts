import {
  runLocal as realRunLocal,
  type LocalRunHooks,
  type LocalRunOptions,
  type LocalRunProgress,
  type LocalRunResult,
} from '../engine/run/local-run.ts';
import type { LocalRunRecord } from '../base/local-run-record.ts';
import { measurementFromLocalRecord } from './from-local-record.ts';
import type { StudyMeasurement } from './measurement.ts';
import {
  countJobs,
  loadStudy,
  lockStudy,
  resumeStudy,
  saveStudy,
  type JobState,
  type JobStatus,
  type StudyState,
} from './study-store.ts';

/**
 * Runs a study's queue job by job, saving the queue after every change. Local jobs call runLocal; cloud jobs go to
 * `runCloudJob` when one is given and otherwise stay pending. Cancel (AbortSignal) stops the current run after its
 * batch and leaves that job pending, so the next runStudy picks it up again.
 */

export interface StudyProgress {
  studyId: string;
  event: 'job-start' | 'job-progress' | 'job-done' | 'job-failed' | 'finished' | 'cancelled';
  counts: Record<JobStatus, number>;
  total: number;
  job: JobState | null;
  /** The local run's own progress, during a local job. */
  local?: LocalRunProgress;
  message: string;
}

export interface RunStudyOptions {
  dataDir: string;
  signal?: AbortSignal;
  onProgress?(p: StudyProgress): void;
  /** Keep the run record (e.g. in History); the returned id is stored with the job. */
  saveRecord?(result: LocalRunResult, job: JobState): Promise<string | void>;
  /** Runs one cloud job; without it cloud jobs wait. */
  runCloudJob?(job: JobState, signal?: AbortSignal): Promise<{ measurement: StudyMeasurement; runId?: string }>;
  retryFailed?: boolean;
  /**
   * A memory sweep's hold on the inference function (cloud/lambda-memory-journal.ts LambdaMemorySession): set before
   * each cloud job whose `lambdaMemoryMb` differs from the current, restored after the sweep, on cancel and on failure.
   */
  lambdaMemory?: StudyMemoryControl;
  /** For tests of the queue itself; defaults to the engine's runLocal. */
  runLocal?: (opts: LocalRunOptions, hooks: LocalRunHooks) => Promise<LocalRunResult>;
}

export interface StudyMemoryControl {
  readonly functionName: string;
  /** The function's configured memory now, as far as the sweep knows (null before the first read). */
  readonly current: number | null;
  ensure(memoryMb: number, signal?: AbortSignal): Promise<void>;
  restore(): Promise<{ restored: boolean; memoryMb: number | null }>;
}

export async function runStudy(studyId: string, opts: RunStudyOptions): Promise<StudyState> {
  await loadStudy(opts.dataDir, studyId); // a clear error for a missing or damaged study, before locking
  const release = await lockStudy(opts.dataDir, studyId);
  try {
    // Read again under the lock: another process may have just finished with it.
    return await drive(resumeStudy(await loadStudy(opts.dataDir, studyId), { retryFailed: opts.retryFailed }), opts);
  } finally {
    await release();
  }
}

async function drive(state: StudyState, opts: RunStudyOptions): Promise<StudyState> {
  const run = opts.runLocal ?? realRunLocal;
  const emit = (event: StudyProgress['event'], job: JobState | null, message: string, local?: LocalRunProgress) =>
    opts.onProgress?.({
      studyId: state.id,
      event,
      counts: countJobs(state),
      total: state.jobs.length,
      job,
      local,
      message,
    });
  await saveStudy(opts.dataDir, state);
  const skipped = new Set<string>();
  const mem = opts.runCloudJob ? opts.lambdaMemory : undefined;
  let memoryProblem: string | null = null;
  let settled = false;
  /** Puts the function's memory back (once) before the study reports that it ended. */
  const settleMemory = async () => {
    if (!mem || settled) return;
    settled = true;
    const r = await mem.restore();
    if (r.restored) emit('job-progress', null, `${mem.functionName} restored to its original ${r.memoryMb} MB`);
  };
  /** Sets the job's memory; on failure the job fails with the reason and the other memory jobs wait. */
  const prepareMemory = async (job: JobState): Promise<boolean> => {
    if (!mem || job.lambdaMemoryMb === null || mem.current === job.lambdaMemoryMb) return true;
    emit('job-progress', job, `${job.id}: setting ${mem.functionName} to ${job.lambdaMemoryMb} MB…`);
    try {
      await mem.ensure(job.lambdaMemoryMb, opts.signal);
      return true;
    } catch (err) {
      memoryProblem = err instanceof Error ? err.message : String(err);
      job.status = 'failed';
      job.attempts++;
      job.error = `could not set the Lambda memory to ${job.lambdaMemoryMb} MB: ${memoryProblem}`;
      job.finishedAt = new Date().toISOString();
      for (const j of state.jobs) if (j.lambdaMemoryMb !== null) skipped.add(j.id);
      await saveStudy(opts.dataDir, state);
      emit('job-failed', job, `${job.id}: failed: ${job.error}`);
      return false;
    }
  };

  try {
    // The update permission is checked at the first change, before any job (local ones included) starts.
    const firstMemoryJob = state.jobs.find((j) => j.status === 'pending' && j.lambdaMemoryMb !== null);
    if (mem && firstMemoryJob) await prepareMemory(firstMemoryJob);
    return await loop();
  } finally {
    await settleMemory();
  }

  async function loop(): Promise<StudyState> {
    for (;;) {
      if (opts.signal?.aborted) {
        await settleMemory();
        emit('cancelled', null, 'study cancelled; pending jobs resume next time');
        return state;
      }
      const job = state.jobs.find((j) => j.status === 'pending' && !skipped.has(j.id));
      if (!job) break;
      if (job.target === 'cloud' && !opts.runCloudJob) {
        skipped.add(job.id);
        continue;
      }
      if (job.target === 'cloud' && !(await prepareMemory(job))) continue;
      if (opts.signal?.aborted) continue;
      job.status = 'running';
      job.attempts++;
      job.startedAt = new Date().toISOString();
      job.finishedAt = null;
      await saveStudy(opts.dataDir, state);
      emit('job-start', job, `${job.id}: started (attempt ${job.attempts})`);

      let outcome: { measurement: StudyMeasurement; runId: string | null } | 'cancelled';
      try {
        if (job.target === 'local') {
          const result = await run(
            {
              batchSize: job.batchSize,
              data: state.params.localData,
              threads: state.params.localThreads,
              precision: state.params.localPrecision,
              dataDir: opts.dataDir,
            },
            {
              signal: opts.signal,
              onProgress: (p) =>
                emit('job-progress', job, `${job.id}: ${p.phase} ${p.samplesDone}/${p.samplesTotal} galaxies`, p),
            },
          );
          outcome = await localOutcome(result, job, opts);
        } else {
          const r = await opts.runCloudJob!(job, opts.signal);
          outcome = opts.signal?.aborted ? 'cancelled' : { measurement: r.measurement, runId: r.runId ?? null };
        }
      } catch (err) {
        if (opts.signal?.aborted) {
          job.status = 'pending';
          job.error = `cancelled (${err instanceof Error ? err.message : String(err)}); runs again when the study resumes`;
          await saveStudy(opts.dataDir, state);
          await settleMemory();
          emit('cancelled', job, `study cancelled during ${job.id}; it runs again when the study resumes`);
          return state;
        }
        job.status = 'failed';
        job.error = err instanceof Error ? err.message : String(err);
        job.finishedAt = new Date().toISOString();
        await saveStudy(opts.dataDir, state);
        emit('job-failed', job, `${job.id}: failed: ${job.error}`);
        continue;
      }
      if (outcome === 'cancelled') {
        job.status = 'pending';
        job.error = 'cancelled; runs again when the study resumes';
        await saveStudy(opts.dataDir, state);
        await settleMemory();
        emit('cancelled', job, `study cancelled during ${job.id}; it runs again when the study resumes`);
        return state;
      }
      job.status = 'done';
      job.error = null;
      job.result = outcome.measurement;
      job.runId = outcome.runId;
      job.finishedAt = new Date().toISOString();
      await saveStudy(opts.dataDir, state);
      emit('job-done', job, `${job.id}: done`);
    }

    await settleMemory();
    const waiting = state.jobs.filter((j) => j.status === 'pending').length;
    const c = countJobs(state);
    emit(
      'finished',
      null,
      `${c.done} done, ${c.failed} failed` +
        (waiting
          ? memoryProblem
            ? `, ${waiting} cloud job(s) waiting: the Lambda memory could not be set (${memoryProblem})`
            : `, ${waiting} cloud job(s) waiting for the cloud runner`
          : ''),
    );
    return state;
  }
}

async function localOutcome(
  result: LocalRunResult,
  job: JobState,
  opts: RunStudyOptions,
): Promise<{ measurement: StudyMeasurement; runId: string | null } | 'cancelled'> {
  const record: LocalRunRecord = result.record;
  if (record.status === 'cancelled') return 'cancelled';
  if (record.status === 'failed') throw new Error(record.error ?? 'the local run failed');
  const runId = (await opts.saveRecord?.(result, job)) ?? record.id;
  return {
    measurement: measurementFromLocalRecord(record, {
      sweep: job.sweep,
      repeat: job.repeat,
      partitionMb: job.partitionMb,
      dataLabel: job.dataLabel,
    }),
    runId,
  };
}
