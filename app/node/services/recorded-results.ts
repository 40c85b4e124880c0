import { existsSync } from 'node:fs';
import type { StoredProfile } from '../../../base/profile-schema.ts';
import type { Table } from '../../../base/table.ts';
import { makeClients } from '../../../cloud/aws-clients.ts';
import { hostInfo } from '../../../engine/run/host-info.ts';
import { loadPriceTable } from '../../../study/cost/price-store.ts';
import { folderSource, s3Source } from '../../../study/import/object-source.ts';
import { importRecordedRuns, measurementFromRecorded, type ImportResult } from '../../../study/import/recorded-runs.ts';
import { studyReportHtml } from '../../../study/report-html.ts';
import { loadStudy, studyFile, studyMeasurements } from '../../../study/study-store.ts';
import { table2, table3 } from '../../../study/tables.ts';
import { sortedLabels, sortedNumbers } from '../../common/report-settings.ts';
import { chooseProfile, profileStore, type ProfileChoice } from './profiles.ts';

/**
 * The study's recorded results read in the caller's own process (the CLI's `import`, `study tables`, `study
 * report`): from a folder or s3://bucket/prefix, aggregated as the study did, as tables or one HTML report. The app
 * imports through StudyService (study/import.ts) instead.
 */

export type { ImportResult };
export { recordedRunJson } from '../../../study/import/recorded-runs.ts';
export { saveRecordedRuns } from '../recorded-import.ts';

type Arch = 'x86_64' | 'arm64';

/** Reads recorded runs from a folder or an s3:// URL; the profile is only needed (and loaded) for S3. */
export async function importFrom(
  dataDir: string,
  source: string,
  profileName: string | undefined,
  say: ProfileChoice,
): Promise<{ result: ImportResult; profile: StoredProfile | null }> {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(source);
  const profileFor = async (name: string | undefined) => (await chooseProfile(profileStore(dataDir), name, say))!;
  if (!s3)
    return {
      result: await importRecordedRuns(folderSource(source)),
      profile: profileName ? await profileFor(profileName) : null,
    };
  const profile = await profileFor(profileName);
  const clients = makeClients(profile);
  try {
    return { result: await importRecordedRuns(s3Source(clients.s3, s3[1], s3[2])), profile };
  } finally {
    clients.destroy();
  }
}

/** Tables 2 and 3 of recorded results (data-size runs; `dataLabel` keeps one label); throws when there are none. */
export async function recordedTables(
  dataDir: string,
  imported: { result: ImportResult; profile: StoredProfile | null },
  opts: { dataLabel?: string; lambdaMemoryMb?: number; arch?: Arch },
): Promise<Table[]> {
  const { result, profile } = imported;
  const lambdaMemoryMb = opts.lambdaMemoryMb ?? profile?.lambdaMemoryMb;
  const runs = result.runs.map((r) => measurementFromRecorded(r, lambdaMemoryMb));
  const filter = opts.dataLabel !== undefined ? { dataLabel: opts.dataLabel } : {};
  const { table: prices } = await loadPriceTable(dataDir);
  const tables = [
    table2(runs, filter),
    table3(runs, { ...filter, arch: opts.arch ?? profile?.architecture ?? 'x86_64', prices }),
  ];
  if (tables[0].rows.length === 0) {
    const labels = [...new Set(result.runs.filter((r) => r.sweep === 'data-size').map((r) => r.data_label))];
    throw new Error(
      opts.dataLabel !== undefined
        ? `no data-size runs with data label "${opts.dataLabel}"; the labels found are: ${labels.join(', ') || 'none'}`
        : `no data-size runs in ${result.from} (only Batches runs?)`,
    );
  }
  return tables;
}

/** Whether `arg` names a saved study (rather than a folder or s3:// source of recorded results). */
export const isStudyId = (dataDir: string, arg: string): boolean =>
  /^[A-Za-z0-9._-]+$/.test(arg) && existsSync(studyFile(dataDir, arg));

function environment(): Array<[string, string]> {
  const h = hostInfo();
  return [
    [
      'Report made on',
      `${h.cpuModel}, ${h.physicalCores} cores (${h.logicalCores} logical), ${(h.ramBytes / 2 ** 30).toFixed(1)} GB RAM`,
    ],
    ['System', `${h.os} ${h.arch}, Node ${h.node}, onnxruntime ${h.onnxruntime}`],
  ];
}

/** One self-contained HTML report of a saved study. */
export async function studyIdReportHtml(
  dataDir: string,
  id: string,
  cost: { lambdaMemoryMb?: number; arch?: Arch },
): Promise<string> {
  const { table: prices } = await loadPriceTable(dataDir);
  const state = await loadStudy(dataDir, id);
  const p = state.params;
  const counts = state.jobs.reduce<Record<string, number>>(
    (c, j) => ({ ...c, [j.status]: (c[j.status] ?? 0) + 1 }),
    {},
  );
  return studyReportHtml({
    title: state.name,
    source: `Study ${state.id}: ${Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')} of ${state.jobs.length} jobs`,
    runs: studyMeasurements(state),
    prices,
    costOptions: { lambdaMemoryMb: cost.lambdaMemoryMb, arch: cost.arch },
    settings: [
      ['Target', p.target],
      ['Sweeps', p.sweeps.join(', ')],
      ['Batch sizes', sortedNumbers(p.batchSizes)],
      ['Partition sizes (MB)', sortedNumbers(p.partitionSizesMb)],
      ['Data sizes (GB)', p.dataSizesGb.join(', ')],
      ['World sizes', p.worldSizes.map((w) => w ?? 'one per partition').join(', ')],
      ['Repeats', String(p.repeats)],
      ['Local data', p.localData?.join(', ') ?? 'the bundled synthetic sample data'],
    ],
    environment: environment(),
  });
}

/** One self-contained HTML report of recorded results. */
export async function recordedReportHtml(
  dataDir: string,
  imported: { result: ImportResult; profile: StoredProfile | null },
  cost: { lambdaMemoryMb?: number; arch?: Arch },
): Promise<string> {
  const { table: prices } = await loadPriceTable(dataDir);
  const { result, profile } = imported;
  const lambdaMemoryMb = cost.lambdaMemoryMb ?? profile?.lambdaMemoryMb;
  return studyReportHtml({
    title: 'Recorded study results',
    source:
      `Recorded results from ${result.from}` +
      (result.problems.length ? ` (${result.problems.length} file(s) skipped)` : ''),
    runs: result.runs.map((r) => measurementFromRecorded(r, lambdaMemoryMb)),
    prices,
    costOptions: { lambdaMemoryMb, arch: cost.arch ?? profile?.architecture },
    settings: [
      ['Partition sizes (MB)', sortedNumbers(result.runs.map((r) => r.partition_mb))],
      ['Data labels', sortedLabels(result.runs.map((r) => r.data_label))],
      ['Batch sizes', sortedNumbers(result.runs.map((r) => r.batch_size))],
      ['Lambda memory', lambdaMemoryMb ? `${lambdaMemoryMb} MB` : 'not recorded (10240 MB assumed for cost)'],
    ],
    environment: environment(),
  });
}
