import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LocalRunResult } from '../../../../engine/run/local-run.ts';
import { makeClients } from '../../../../cloud/aws-clients.ts';
import type { ProfileStore } from '../../../../cloud/profiles.ts';
import type { SecretCipher } from '../../../../cloud/secret-cipher.ts';
import { parseSweepParams, type SweepParamsInput } from '../../../../base/sweep-plan.ts';
import { cloudJobRunner } from '../../../../study/cloud-job.ts';
import { memorySessionFor, restoreLeftoverSweeps } from '../../../../study/memory-sweep.ts';
import { runStudy, type RunStudyOptions, type StudyProgress } from '../../../../study/run-study.ts';
import {
  countJobs,
  createStudy,
  listStudies,
  loadStudy,
  studyFile,
  type JobState,
  type StudyState,
} from '../../../../study/study-store.ts';
import {
  ApiError,
  type StudyListItem,
  type StudyProgressEvent,
  type StudyView,
} from '../../../common/contract/index.ts';
import type { EventHub } from '../../../common/dispatcher.ts';
import type { HistoryStore } from '../../history-store.ts';
import { saveStudyLocalRun } from '../../study-history.ts';
import { expandHome } from '../system.ts';
import { fail, profileFor } from './shared.ts';

/**
 * The study queue: sweeps queued as studies, run one at a time in the background with progress on
 * `study.progress`. A study left with a "running" job by a host that stopped is listed as interrupted and resumes
 * from its queue.
 */

interface Active {
  controller: AbortController;
  done: Promise<void>;
  profile: string | null;
  last: StudyProgressEvent | null;
  /** The study's last word (finished, cancelled, error), sent once the study is no longer active. */
  terminal: StudyProgressEvent | null;
}

export interface StudyQueueDeps {
  dataDir: string;
  store: HistoryStore;
  hub: EventHub;
  profiles: ProfileStore;
  cipher?: SecretCipher;
  /** Whether a local run is going on its own (runs share the CPU, so a study waits for it). */
  localBusy?: () => boolean;
  /** For tests of the queue: replaces the engine's runLocal. */
  runLocal?: RunStudyOptions['runLocal'];
}

const PROGRESS_INTERVAL_MS = 250;

export class StudyQueue {
  private active = new Map<string, Active>();

  constructor(private readonly deps: StudyQueueDeps) {}

  isRunning(): boolean {
    return this.active.size > 0;
  }

  async list(): Promise<StudyListItem[]> {
    const all = await listStudies(this.deps.dataDir);
    return all.map((s) =>
      'problem' in s
        ? s
        : {
            ...s,
            total: Object.values(s.counts).reduce((a, b) => a + b, 0),
            running: this.active.has(s.id),
            interrupted: !this.active.has(s.id) && s.counts.running > 0,
          },
    );
  }

  async get(id: string): Promise<StudyView> {
    const s = await this.load(id);
    const a = this.active.get(id);
    const counts = countJobs(s);
    return {
      id: s.id,
      name: s.name,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      params: s.params as unknown as Record<string, unknown>,
      profile: a?.profile ?? null,
      jobs: s.jobs.map((j) => ({
        id: j.id,
        target: j.target,
        sweep: j.sweep,
        batchSize: j.batchSize,
        partitionMb: j.partitionMb,
        dataLabel: j.dataLabel,
        lambdaMemoryMb: j.lambdaMemoryMb,
        repeat: j.repeat,
        status: j.status,
        attempts: j.attempts,
        runId: j.runId,
        error: j.error,
      })),
      counts,
      running: !!a,
      interrupted: !a && counts.running > 0,
      lastProgress: a?.last ?? null,
    };
  }

  async create(input: { name?: string; params: SweepParamsInput; profile?: string }): Promise<{ id: string }> {
    this.checkFree();
    let params;
    try {
      params = parseSweepParams({
        ...input.params,
        ...(input.params.localData
          ? { localData: input.params.localData.map((d) => path.resolve(expandHome(d))) }
          : {}),
      });
    } catch (err) {
      throw fail('INVALID_INPUT', err);
    }
    if (params.localData)
      for (const d of params.localData)
        if (!existsSync(d))
          throw new ApiError({
            code: 'NOT_FOUND',
            message: `The local data ${d} does not exist.`,
            file: d,
            hint: 'Pick .pt files or a folder of them, or leave the data empty for the bundled sample data.',
          });
    // Several saved profiles and none chosen: say so before a study is created that could not start.
    if (params.target !== 'local') await profileFor(this.deps.profiles, input.profile, false);
    const state = await createStudy(this.deps.dataDir, params, input.name || undefined);
    await this.start(state.id, input.profile, false);
    return { id: state.id };
  }

  async resume(id: string, profile?: string, retryFailed = false): Promise<void> {
    await this.load(id);
    await this.start(id, profile, retryFailed);
  }

  cancel(id: string): void {
    const a = this.active.get(id);
    if (!a)
      throw new ApiError({
        code: 'NOT_FOUND',
        message: `Study ${id} is not running.`,
        hint: 'It may have finished already; reload the study.',
      });
    a.controller.abort();
  }

  async shutdown(): Promise<void> {
    for (const a of this.active.values()) a.controller.abort();
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  async load(id: string): Promise<StudyState> {
    if (!existsSync(studyFile(this.deps.dataDir, id)))
      throw new ApiError({
        code: 'NOT_FOUND',
        message: `There is no study "${id}".`,
        hint: 'Pick one from the list of studies.',
      });
    try {
      return await loadStudy(this.deps.dataDir, id);
    } catch (err) {
      throw fail('DAMAGED', err, 'The study file cannot be read; start a new study.');
    }
  }

  private checkFree(): void {
    const [cur] = this.active.keys();
    if (cur)
      throw new ApiError({
        code: 'BUSY',
        message: `Study ${cur} is already running.`,
        hint: 'Wait for it to finish or cancel it; one study at a time keeps the numbers honest.',
      });
    if (this.deps.localBusy?.())
      throw new ApiError({
        code: 'BUSY',
        message: 'A local run is going.',
        hint: 'Wait for it to finish or cancel it, then start the study.',
      });
  }

  private async start(id: string, profileName: string | undefined, retryFailed: boolean): Promise<void> {
    this.checkFree();
    const state = await this.load(id);
    const hasCloud = state.jobs.some((j) => j.target === 'cloud' && j.status !== 'done');
    const profile = hasCloud ? await profileFor(this.deps.profiles, profileName, false) : null;
    const clients = profile ? makeClients(profile, { cipher: this.deps.cipher }) : null;
    const controller = new AbortController();
    const a: Active = {
      controller,
      done: Promise.resolve(),
      profile: profile?.name ?? null,
      last: null,
      terminal: null,
    };
    // A window reloads the study when it hears the last event; by then the study must read as no longer running,
    // or the window would show "running" with nothing more to come.
    const emit = (e: StudyProgressEvent) => {
      a.last = e;
      if (e.event === 'finished' || e.event === 'cancelled' || e.event === 'error') a.terminal = e;
      else this.deps.hub.emit('study.progress', e);
    };
    let lastEmit = 0;
    const onProgress = (p: StudyProgress) => {
      const now = Date.now();
      // Only per-batch progress is thinned; a step (a memory change, a restore) always reaches the user.
      if (p.event === 'job-progress' && p.local) {
        if (now - lastEmit < PROGRESS_INTERVAL_MS) return;
        lastEmit = now;
      }
      const f = p.local && p.local.samplesTotal > 0 ? Math.min(1, p.local.samplesDone / p.local.samplesTotal) : null;
      emit({
        studyId: id,
        event: p.event,
        counts: p.counts,
        total: p.total,
        jobId: p.job?.id ?? null,
        jobFraction: f,
        message: p.message,
      });
    };
    if (hasCloud && !profile)
      emit({
        studyId: id,
        event: 'job-progress',
        counts: countJobs(state),
        total: state.jobs.length,
        jobId: null,
        jobFraction: null,
        message: 'Cloud jobs wait: no AWS profile is saved. Add one on the Profiles screen, then resume the study.',
      });
    this.active.set(id, a);
    const note = (message: string, jobId: string | null = null) =>
      emit({
        studyId: id,
        event: 'job-progress',
        counts: a.last?.counts ?? countJobs(state),
        total: state.jobs.length,
        jobId,
        jobFraction: null,
        message,
      });
    // A function a stopped sweep left at another memory is put back first, and the user is told.
    const before = async () => {
      for (const r of await restoreLeftoverSweeps(this.deps.dataDir, this.deps.profiles, this.deps.cipher))
        note(r.message);
      return clients ? memorySessionFor(state, clients, this.deps.dataDir, (m) => note(m)) : undefined;
    };
    a.done = before()
      .then((lambdaMemory) =>
        runStudy(id, {
          lambdaMemory,
          dataDir: this.deps.dataDir,
          signal: controller.signal,
          retryFailed,
          onProgress,
          runLocal: this.deps.runLocal,
          saveRecord: (res, job) => this.saveLocal(state, res, job),
          ...(clients
            ? {
                runCloudJob: cloudJobRunner({
                  clients,
                  dataDir: this.deps.dataDir,
                  studyId: state.id,
                  studyName: state.name,
                  history: this.deps.store,
                  dataset: state.params.localData,
                  onEvent: (job, e) => {
                    const msg =
                      e.type === 'started'
                        ? `${job.id}: execution started, results in ${e.resultPath}`
                        : e.type === 'notice'
                          ? `${job.id}: ${e.message}`
                          : null;
                    if (msg)
                      emit({
                        studyId: id,
                        event: 'job-progress',
                        counts: a.last?.counts ?? countJobs(state),
                        total: state.jobs.length,
                        jobId: job.id,
                        jobFraction: null,
                        message: msg,
                      });
                  },
                }),
              }
            : {}),
        }),
      )
      .then(
        () => undefined,
        (err) =>
          emit({
            studyId: id,
            event: 'error',
            counts: a.last?.counts ?? countJobs(state),
            total: state.jobs.length,
            jobId: null,
            jobFraction: null,
            message: err instanceof Error ? err.message : String(err),
          }),
      )
      .finally(() => {
        clients?.destroy();
        this.active.delete(id);
        if (a.terminal) this.deps.hub.emit('study.progress', a.terminal);
      });
  }

  /** Every local run of a study also goes to History, like a run started on its own. */
  private saveLocal(state: StudyState, res: LocalRunResult, job: JobState): Promise<string> {
    const d = res.record.dataset;
    return saveStudyLocalRun(
      this.deps.store,
      state,
      job,
      res,
      d.synthetic ? 'synthetic sample data' : d.spec.map((f) => path.basename(f)).join(', '),
    );
  }
}
