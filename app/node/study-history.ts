import type { LocalRunResult } from '../../engine/run/local-run.ts';
import type { JobState, StudyState } from '../../study/study-store.ts';
import type { HistoryStore } from './history-store.ts';

/**
 * Every local run of a study also goes to History, like a run started on its own (the CLI and the app both save
 * them this way). `dataLabel` is what the headline shows for the data.
 */
export async function saveStudyLocalRun(
  history: HistoryStore,
  state: StudyState,
  job: JobState,
  res: LocalRunResult,
  dataLabel: string,
): Promise<string> {
  const r = res.record;
  const entry = await history.create({
    kind: 'local',
    name: `${state.name} · ${job.id}`,
    params: {
      study: state.id,
      job: job.id,
      batchSize: r.batch_size,
      threads: r.options.threads,
      data: r.dataset.spec,
      precision: r.model.precision,
    },
  });
  await history.finish(entry.id, {
    status: r.status,
    record: r,
    partitions: r.partitions,
    headline: {
      samples: r.samples,
      samplesPerSec: r.sample_persec,
      batchSize: r.batch_size,
      partitions: r.partitions.length,
      model: r.model.label,
      data: dataLabel,
      referenceModel: r.model.reference,
      syntheticData: r.dataset.synthetic,
      precision: r.model.precision,
    },
  });
  return entry.id;
}
