import type { LocalRunResult } from '../../../engine/run/local-run.ts';
import type { StoredProfile } from '../../../base/profile-schema.ts';
import type { Table } from '../../../base/table.ts';
import { makeClients } from '../../../cloud/aws-clients.ts';
import { cloudJobRunner, type CloudJobRunnerOptions } from '../../../study/cloud-job.ts';
import { measurementFromRunRecord } from '../../../study/cloud-measurement.ts';
import { compareRuns, precisionLabel } from '../../../study/compare.ts';
import { memorySessionFor, restoreLeftoverSweeps } from '../../../study/memory-sweep.ts';
import { runStudy, type StudyProgress } from '../../../study/run-study.ts';
import { loadStudy, studyMeasurements, type JobState, type StudyState } from '../../../study/study-store.ts';
import { table1, table2, table3 } from '../../../study/tables.ts';
import { HistoryStore } from '../history-store.ts';
import { resolveRunId } from '../run-ref.ts';
import { saveStudyLocalRun } from '../study-history.ts';
import { chooseProfile, profileStore, type ProfileChoice } from './profiles.ts';

/**
 * A study driven in the caller's own process (the CLI's `study run|resume|show|list|estimate|prices|compare`): the
 * queue in <dataDir>/studies/<id>/study.json, its local runs saved to History, its cloud jobs on a saved profile.
 * The app's StudyService (study.ts) runs the same queue in the background with events.
 */

export type { JobState, StudyProgress, StudyState };
export { createStudy, listStudies, loadStudy } from '../../../study/study-store.ts';
export { estimateSweepCost } from '../../../study/cost/sweep-estimate.ts';
export { memorySweepEstimate } from '../../../study/cost/memory-estimate.ts';
export { loadPriceTable, resetPriceTable, savePriceTable } from '../../../study/cost/price-store.ts';

export interface DriveStudyOptions {
  retryFailed: boolean;
  profileName?: string;
  /** Who to ask for when several profiles are saved and none was named (none saved: cloud jobs wait). */
  several: ProfileChoice['several'];
  signal: AbortSignal;
  onProgress: (p: StudyProgress) => void;
  /** The study has cloud jobs to run but no profile is saved: they wait. */
  onNoProfile?: () => void;
  onCloudEvent?: CloudJobRunnerOptions['onEvent'];
  /** Lambda memory sweep notices: a function restored from a dead process's journal, memory being set or restored. */
  onNotice?: (message: string) => void;
}

/** Runs a study's pending (and interrupted, and with retryFailed the failed) jobs until done or the signal aborts. */
export async function driveStudy(dataDir: string, id: string, o: DriveStudyOptions): Promise<StudyState> {
  const state = await loadStudy(dataDir, id);
  const hasCloud = state.jobs.some((j) => j.target === 'cloud' && j.status !== 'done');
  const profile: StoredProfile | null = hasCloud
    ? await chooseProfile(profileStore(dataDir), o.profileName, { several: o.several, none: null })
    : null;
  if (hasCloud && !profile) o.onNoProfile?.();
  // A memory sweep that a killed process left behind is undone before anything else runs.
  for (const r of await restoreLeftoverSweeps(dataDir, profileStore(dataDir))) o.onNotice?.(r.message);
  const clients = profile ? makeClients(profile) : null;
  const history = new HistoryStore(dataDir);
  // Every local run of a study also goes to History, like a run started on its own.
  const saveRecord = (res: LocalRunResult, job: JobState): Promise<string> =>
    saveStudyLocalRun(history, state, job, res, res.record.dataset.spec.join(', '));
  try {
    const lambdaMemory = clients ? await memorySessionFor(state, clients, dataDir, (m) => o.onNotice?.(m)) : undefined;
    return await runStudy(id, {
      lambdaMemory,
      dataDir,
      signal: o.signal,
      onProgress: o.onProgress,
      saveRecord,
      retryFailed: o.retryFailed,
      ...(clients
        ? {
            runCloudJob: cloudJobRunner({
              clients,
              dataDir,
              studyId: state.id,
              studyName: state.name,
              history,
              dataset: state.params.localData,
              onEvent: (job, e) => o.onCloudEvent?.(job, e),
            }),
          }
        : {}),
    });
  } finally {
    clients?.destroy();
  }
}

/** Tables 1–3 of a study's finished jobs, those with rows. */
export function studyTableModels(state: StudyState): Table[] {
  const runs = studyMeasurements(state);
  return [table1(runs), table2(runs), table3(runs)].filter((t) => t.rows.length > 0);
}

/**
 * Two History runs (by id, prefix, "latest" or name) side by side, measured the same way; the sides are "local" and
 * "cloud" when the targets differ, else the runs' names.
 */
export async function compareHistoryPair(history: HistoryStore, a: string, b: string) {
  const [ea, eb] = await Promise.all([
    history.get(await resolveRunId(history, a)),
    history.get(await resolveRunId(history, b)),
  ]);
  const side = (e: typeof ea.entry) => {
    if (!e.record) throw new Error(`run ${e.id} ("${e.name}") has no record yet (status ${e.status})`);
    try {
      return measurementFromRunRecord(e.record);
    } catch (error) {
      throw new Error(`run ${e.id} ("${e.name}"): ${(error as Error).message}`, { cause: error });
    }
  };
  const ma = side(ea.entry);
  const mb = side(eb.entry);
  const la = precisionLabel(ma.target === mb.target ? ea.entry.name : ma.target, ma);
  const lb = precisionLabel(
    ma.target === mb.target ? (eb.entry.name === ea.entry.name ? `${eb.entry.name} (2)` : eb.entry.name) : mb.target,
    mb,
  );
  return compareRuns({ label: la, run: ma }, { label: lb, run: mb });
}
